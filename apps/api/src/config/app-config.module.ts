import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import type { AppConfig } from './app-config';

/** Inject as `ConfigService` and type it with this: `get` is then typed and never undefined. */
export type AppConfigService = ConfigService<AppConfig, true>;

/**
 * Exposes an already validated `AppConfig` through `@nestjs/config`. The environment is read and
 * validated once, by `validateEnv`, before the app is built; nothing reads `process.env` later.
 */
@Module({})
export class AppConfigModule {
  static async forRoot(config: AppConfig): Promise<DynamicModule> {
    return {
      module: AppConfigModule,
      imports: [
        await ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validatePredefined: false,
          skipProcessEnv: true,
          load: [() => ({ ...config })],
        }),
      ],
    };
  }
}
