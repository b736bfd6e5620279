// Production runs compiled code: `npm run build` into a temporary directory, then (a) the recorded
// histories replay against the pre-built workflow bundle, and (b) the compiled worker entry starts
// with that bundle (no bundling at start) and polls every area's task queue.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { expect } from 'chai';
import { taskQueuesFor } from '../../config/task-queues';
import { build } from '../../scripts/build';
import { installTemporalRuntime } from '../../workflows/worker';
import { noopWorkflow } from '../../workflows/noop';
import { requireTemporal, testConfig, testLogger, uniqueId } from '../support/stack';

const ROOT = resolve(__dirname, '../..');
const HISTORIES = join(ROOT, 'test/fixtures/histories');

/** Resolve when the child prints a JSON log line with this message; reject when it exits first. */
function logLine(child: ChildProcess, msg: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    let buffered = '';
    const timer = setTimeout(
      () => rej(new Error(`no "${msg}" within ${timeoutMs} ms; output:\n${buffered}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === msg) {
          clearTimeout(timer);
          res(entry);
        }
      }
    });
    child.on('exit', (code) => rej(new Error(`worker exited (${code}) before "${msg}"; output:\n${buffered}`)));
  });
}

describe('compiled build (integration)', function () {
  this.timeout(300_000);
  let out: string;
  let bundlePath: string;

  before(async () => {
    await requireTemporal();
    out = mkdtempSync(join(tmpdir(), 'freshchain-build-'));
    // Dependencies as the image has them: node_modules beside the compiled code.
    symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
    ({ workflowBundle: bundlePath } = await build(out));
    installTemporalRuntime(testLogger);
  });

  after(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('writes the compiled entry points, the files read at run time and the workflow bundle', () => {
    for (const f of [
      'workflows/worker-main.js',
      'api/main.js',
      'iot-ingest/main.js',
      'db/migrate-main.js',
      'workflow-bundle.js',
    ]) {
      expect(existsSync(join(out, f)), f).to.equal(true);
    }
    expect(readdirSync(join(out, 'db/migrations')).some((f) => f.endsWith('.sql'))).to.equal(true);
    expect(existsSync(join(out, 'api/public'))).to.equal(true);
  });

  it('replays every recorded history against the pre-built bundle', async () => {
    const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
    expect(files.length).to.be.at.least(3);
    for (const file of files) {
      const { workflowId, history } = JSON.parse(readFileSync(join(HISTORIES, file), 'utf8')) as {
        workflowId: string;
        history: unknown;
      };
      await Worker.runReplayHistory({ workflowBundle: { codePath: bundlePath } }, history as never, workflowId);
    }
  });

  it('starts the compiled worker entry on the pre-built bundle, polling every area', async () => {
    const prefix = uniqueId('tq-built');
    const queues = taskQueuesFor(prefix);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FRESHCHAIN_PROFILE: 'test',
      LOG_LEVEL: 'info',
      WORKER_METRICS_BIND: 'off',
      TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    };
    delete env.TEMPORAL_TASK_QUEUE;
    delete env.WORKFLOW_BUNDLE;
    const child = spawn(process.execPath, [join(out, 'workflows/worker-main.js')], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const connection = await Connection.connect({ address: testConfig.temporal.address });
    try {
      const polling = await logLine(child, 'worker polling', 60_000);
      expect(polling.workflowCode).to.equal(bundlePath);
      expect(polling.taskQueues).to.deep.equal(queues);
      const client = new Client({ connection, namespace: testConfig.temporal.namespace });
      for (const queue of Object.values(queues)) {
        const result = await client.workflow.execute(noopWorkflow, {
          taskQueue: queue,
          workflowId: uniqueId('wf-built'),
          args: [queue],
        });
        expect(result).to.equal(queue);
      }
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await connection.close();
    }
  });
});
