// Print docs/errors.md from the error-code catalogue: npx tsx scripts/error-codes-doc.ts > docs/errors.md
import { errorCodesMarkdown } from '../api/error-codes';

process.stdout.write(errorCodesMarkdown());
