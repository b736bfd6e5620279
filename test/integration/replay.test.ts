import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { expect } from 'chai';
import { installTemporalRuntime, workflowBundle } from '../../workflows/worker';
import { testLogger } from '../support/stack';

const DIR = join(__dirname, '../fixtures/histories');

interface RecordedHistory {
  workflowId: string;
  // Proto3 JSON as the CLI writes it; the worker decodes it itself.
  history: { events: { workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }[] };
}

function load(file: string): RecordedHistory {
  return JSON.parse(readFileSync(join(DIR, file), 'utf8')) as RecordedHistory;
}

// Recorded histories of real executions (test/fixtures/record-histories.ts). A workflow
// change that would break executions already running fails here, before it ships.
describe('workflow replay of recorded histories', function () {
  this.timeout(120_000);
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
  before(() => installTemporalRuntime(testLogger));

  it('has recorded histories to replay', () => {
    expect(files.length).to.be.at.least(3);
  });

  for (const file of files) {
    it(`replays ${file} deterministically`, async () => {
      const { workflowId, history } = load(file);
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
    });
  }

  it('detects a workflow that no longer matches its history', async () => {
    // The order history replayed against a different workflow type's code must fail.
    const { workflowId, history } = load('order-delivered.json');
    const started = history.events[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.workflowType?.name).to.equal('orderWorkflow');
    started!.workflowType!.name = 'noopWorkflow';
    let error: unknown;
    try {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(DeterminismViolationError);
  });
});
