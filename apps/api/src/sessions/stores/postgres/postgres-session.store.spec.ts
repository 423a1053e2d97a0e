import { usePostgres } from '../../../testing/store-backends';
import { sessionStoreContract } from '../session.store.contract';
import { PostgresSessionStore } from './postgres-session.store';

// The contract suite against a real PostgreSQL, one schema per test.
const postgres = usePostgres();

sessionStoreContract(
  'postgres',
  async (options) => new PostgresSessionStore(await postgres.open(), options),
);
