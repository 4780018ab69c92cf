import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import type { MemoryScope } from '../../../services/memories/memory-rows.js';
import { Zone } from '../enums.js';
import { DateTimeScalar, JSONObjectScalar } from '../scalars.js';
import { PageInfoType } from './pagination.js';

@ObjectType('Agent')
export class AgentType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  /** Resolved by AgentMemoryCountResolver, batched per request. */
  @Field(() => Int, { description: 'Memories of this agent that have not expired.' })
  memoryCount?: number;
}

@ObjectType('Memory')
export class MemoryType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The name of the agent the memory belongs to.' })
  agent!: string;

  @Field(() => String)
  content!: string;

  @Field(() => Float)
  importance!: number;

  @Field(() => [String])
  tags!: string[];

  @Field(() => JSONObjectScalar, { nullable: true })
  metadata!: Record<string, unknown> | null;

  @Field(() => DateTimeScalar, { description: 'When the remembered thing happened or was said (the time of the store unless given).' })
  occurredAt!: Date;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  lastRecalledAt!: Date | null;

  @Field(() => Int)
  recallCount!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => Zone, { description: "From the memory's orbit score (importance, recency, recall frequency); see the README." })
  zone!: Zone;
}

@ObjectType('StoreMemoryPayload')
export class StoreMemoryPayloadType {
  @Field(() => MemoryType)
  memory!: MemoryType;

  @Field(() => Boolean, { description: 'The agent already had this content: the existing memory is returned, its importance raised to the larger one.' })
  deduped!: boolean;
}

@ObjectType('RecallExplanation', { description: 'Why a memory came back: each signal in 0..1 (semantic is null when no vector was compared).' })
export class RecallExplanationType {
  @Field(() => Float, { description: 'BM25 of the query words the memory holds, against the most any memory could score.' })
  lexical!: number;

  @Field(() => Float, { nullable: true, description: "Cosine similarity of the query's and the memory's embeddings, rescaled from 0.3." })
  semantic!: number | null;

  @Field(() => Float)
  importance!: number;

  @Field(() => Float, { description: 'Half-life 30 days, from the later of occurredAt and the last recall.' })
  recency!: number;

  @Field(() => Float, { description: 'recallCount / (recallCount + 5), before this recall.' })
  frequency!: number;
}

@ObjectType('RecallHit')
export class RecallHitType {
  @Field(() => MemoryType)
  memory!: MemoryType;

  @Field(() => Float, { description: 'Relevance blended with importance, recency and recall frequency.' })
  score!: number;

  @Field(() => Float, { description: 'How well the memory matches the query alone, 0 to 1.' })
  relevance!: number;

  @Field(() => RecallExplanationType)
  explanation!: RecallExplanationType;
}

@ObjectType('MemoryEdge')
export class MemoryEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => MemoryType)
  node!: MemoryType;
}

@ObjectType('MemoryConnection')
export class MemoryConnectionType {
  @Field(() => [MemoryEdgeType])
  edges!: MemoryEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  /** Resolved by MemoriesResolver.totalCount, only when asked for. */
  @Field(() => Int)
  totalCount?: number;

  /** Which memories the connection covers (not exposed). */
  scope!: MemoryScope;
}
