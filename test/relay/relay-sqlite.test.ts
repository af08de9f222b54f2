// The relay contract tests on the embedded default: SQLite in the relay's data folder.
import { relayCases } from './relay-cases.ts';

relayCases('relay on SQLite', async () => ({ stop: async () => undefined }));
