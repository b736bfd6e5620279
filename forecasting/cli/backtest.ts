// Entry point: npx tsx forecasting/cli/backtest.ts --csv FILE --time COL --target COL … (see USAGE).
import { runBacktestCli } from '../backtest/cli';

process.exitCode = runBacktestCli(process.argv.slice(2));
