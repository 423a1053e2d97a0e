import { DynamicModule, Module, type Type } from '@nestjs/common';
import type { StoreKind } from '../config/app-config';
import { MemoryStoresModule } from '../chat/stores/memory/memory-stores.module';
import { RedisStoresModule } from '../chat/stores/redis/redis-stores.module';
import { SqliteStoresModule } from '../chat/stores/sqlite/sqlite-stores.module';

/**
 * One module per implementation, each exporting `SessionStore`, `MessageStore` and
 * `PresenceStore`. The Record makes adding a kind to `STORE_KINDS` a compile error until its
 * module is listed here.
 */
const STORE_MODULES: Record<StoreKind, Type | DynamicModule> = {
  sqlite: SqliteStoresModule,
  memory: MemoryStoresModule,
  redis: RedisStoresModule,
};

@Module({})
export class StoresModule {
  /**
   * The implementation chosen by `STORE`, or `override` (a module exporting the three tokens), which
   * tests use to put a slow or failing store behind the real app.
   */
  static forRoot(
    kind: StoreKind,
    override?: Type | DynamicModule,
  ): DynamicModule {
    const implementation = override ?? STORE_MODULES[kind];
    return {
      module: StoresModule,
      global: true,
      imports: [implementation],
      exports: [implementation],
    };
  }
}
