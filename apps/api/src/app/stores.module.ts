import {
  DynamicModule,
  Module,
  type InjectionToken,
  type Provider,
} from '@nestjs/common';
import type { StoreKind } from '../config/app-config';
import { conversationStateStoreBackends } from '../conversation-state/stores/conversation-state.backends';
import { messageStoreBackends } from '../messaging/stores/message.backends';
import { presenceStoreBackends } from '../presence/stores/presence.backends';
import { rateLimiterBackends } from '../rate-limiting/stores/rate-limiter.backends';
import { sessionStoreBackends } from '../sessions/stores/session.backends';
import type { StoreBackends } from '../shared/store-backends';

/** Every store of every capability, each with its implementation per backend. */
const STORES: readonly StoreBackends[] = [
  sessionStoreBackends,
  messageStoreBackends,
  presenceStoreBackends,
  rateLimiterBackends,
  conversationStateStoreBackends,
];

const tokenOf = (provider: Provider): InjectionToken =>
  'provide' in provider ? provider.provide : provider;

@Module({})
export class StoresModule {
  /**
   * Every store on the backend chosen by `STORE`, for every module (global). `override`: a module
   * exporting some of the store tokens, which replace those (tests put a slow or failing store
   * behind the real app this way).
   */
  static forRoot(kind: StoreKind, override?: DynamicModule): DynamicModule {
    const replaced = new Set<unknown>(override?.exports ?? []);
    const providers = STORES.map((backends) => backends[kind]).filter(
      (provider) => !replaced.has(tokenOf(provider)),
    );
    return {
      module: StoresModule,
      global: true,
      imports: override ? [override] : [],
      providers,
      exports: [...providers.map(tokenOf), ...(override ? [override] : [])],
    };
  }
}
