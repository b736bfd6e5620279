/** Activities with no dependencies: the reference workload for benchmarks and smoke tests. */
export function createPlatformActivities() {
  return {
    /** Return the input unchanged. */
    async echo(input: string): Promise<string> {
      return input;
    },
  };
}
