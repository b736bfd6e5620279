// Temporal's time-skipping test server for tests of timers: hours of workflow sleeps pass in
// milliseconds, so a test runs the production schedule instead of compressed inputs. The server
// is the Java build deploy/temporal-test-server.sh provisions (the SDK's own download needs the
// internet); a missing one fails the test with how to install it.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';

/** Where deploy/temporal-test-server.sh puts the server's wrapper. */
export function testServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.FRESHCHAIN_HOME ?? join(homedir(), '.cache/freshchain'), 'bin/temporal-test-server');
}

/** A time-skipping environment on a server of its own (a free port; stopped by `teardown()`). */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const path = testServerPath();
  if (!existsSync(path)) {
    throw new Error(
      `Temporal's time-skipping test server is not at ${path}: run \`npm run setup\` (deploy/temporal-test-server.sh)`,
    );
  }
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
}
