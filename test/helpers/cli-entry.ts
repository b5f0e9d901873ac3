// Starts the CLI from source for tests (the installed bin runs the compiled copy).
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv);
