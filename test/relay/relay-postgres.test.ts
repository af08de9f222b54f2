// The relay contract tests on PostgreSQL (DATABASE_URL, or a throwaway cluster: postgres.ts).
import { startTestPostgres } from '../support/postgres.ts';
import { relayCases } from './relay-cases.ts';

relayCases('relay on PostgreSQL', async () => {
  const pg = await startTestPostgres();
  return { databaseUrl: pg.url, stop: () => pg.stop() };
});
