import { Arg, Ctx, Directive, Field, Float, InputType, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { DEFAULT_AGENT, DEFAULT_IMPORTANCE } from '../../../services/memories/memory-input.js';
import { storeMemory } from '../../../services/memories/memory-store.js';
import { DateTimeScalar, JSONObjectScalar } from '../../schema/scalars.js';
import { StoreMemoryPayloadType } from '../../schema/types/memory.js';
import { storeDeps } from '../../../request-scope.js';

@InputType('StoreMemoryInput')
export class StoreMemoryInput {
  @Field(() => String, { defaultValue: DEFAULT_AGENT })
  agent!: string;

  @Field(() => String)
  content!: string;

  @Field(() => Float, { defaultValue: DEFAULT_IMPORTANCE })
  importance!: number;

  @Field(() => [String], { nullable: true })
  tags?: string[] | null;

  @Field(() => JSONObjectScalar, { nullable: true })
  metadata?: Record<string, unknown> | null;

  @Field(() => [Float], { nullable: true })
  embedding?: number[] | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the remembered thing happened or was said; default: now.' })
  occurredAt?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt?: Date | null;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@Resolver()
export class StoreMemoryResolver {
  @Mutation(() => StoreMemoryPayloadType, { description: 'Identical content in the same agent is stored once (deduped: true).' })
  @Directive('@auth')
  @Directive('@rateLimit')
  @Directive('@quota(resource: MEMORIES)')
  async storeMemory(@Arg('input', () => StoreMemoryInput) input: StoreMemoryInput, @Ctx() ctx: GraphQLContext): Promise<StoreMemoryPayloadType> {
    return storeMemory(await storeDeps(ctx), input);
  }
}
