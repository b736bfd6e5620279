// The skeleton's one activity: does nothing, so an activity costs only what the engine makes of it.
export async function skeletonNoop(): Promise<void> {
  // empty by design
}
