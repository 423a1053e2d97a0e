import 'reflect-metadata';
import { Module, Injectable } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
@Injectable() class Svc { hi() { return 'hi'; } }
@Injectable() class Svc2 { constructor(readonly s: Svc) {} }
@Module({ providers: [Svc, Svc2] }) class AppModule {}
async function main() {
  const app = await NestFactory.create(AppModule);
  await app.listen(0);
  console.log('ok', app.get(Svc2).s.hi(), app.getHttpServer().address());
  await app.close();
}
main();
