import { Arg, Ctx, Directive, Field, Float, InputType, Int, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { DEFAULT_RECALL_HITS, recallMemories } from '../../../services/memories/recall.js';
import { DateTimeScalar, JSONObjectScalar } from '../../schema/scalars.js';
import { RecallHitType } from '../../schema/types/memory.js';
import { memoryDeps } from '../../../request-scope.js';

@InputType('RecallInput')
export class RecallInput {
  @Field(() => String)
  query!: string;

  @Field(() => String, { nullable: true })
  agent?: string | null;

  @Field(() => Int, { defaultValue: DEFAULT_RECALL_HITS })
  limit!: number;

  @Field(() => [String], { nullable: true, description: 'Every tag must be on the memory.' })
  tags?: string[] | null;

  @Field(() => JSONObjectScalar, { nullable: true, description: "Contained in the memory's metadata (JSON containment)." })
  metadata?: Record<string, unknown> | null;

  @Field(() => Float, { nullable: true })
  minImportance?: number | null;

  @Field(() => [Float], { nullable: true })
  embedding?: number[] | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only memories whose occurredAt is at or after this.' })
  occurredAfter?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only memories whose occurredAt is before this.' })
  occurredBefore?: Date | null;
}

@Resolver()
export class RecallMemoriesResolver {
  @Mutation(() => [RecallHitType], { description: 'Answers a natural-language question: best matches first, at most 50; only memories that share meaning or a significant word with the query.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  async recallMemories(@Arg('input', () => RecallInput) input: RecallInput, @Ctx() ctx: GraphQLContext): Promise<RecallHitType[]> {
    return recallMemories(memoryDeps(ctx), input);
  }
}
