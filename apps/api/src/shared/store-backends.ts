import type { Provider } from '@nestjs/common';
import type { StoreKind } from '../config/app-config';

/**
 * How one store of a capability is provided on each backend (`STORE`): one provider per kind,
 * for the store's token (its abstract class). A Record, so that adding a kind to STORE_KINDS is a
 * compile error in every store until it has an implementation there. StoresModule
 * (app/stores.module.ts) provides the chosen one of every store.
 */
export type StoreBackends = Readonly<Record<StoreKind, Provider>>;
