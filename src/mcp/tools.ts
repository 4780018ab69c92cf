import { memoryDeps, requirePrincipal, storeDeps, type RequestScope } from '../request-scope.js';
import { countMemoriesByAgent, listAgents } from '../services/memories/agents.js';
import { countMemories, forgetMemory, listMemories, MAX_PAGE_SIZE } from '../services/memories/memories.js';
import {
  DEFAULT_AGENT,
  MAX_CONTENT_CHARS,
  MAX_IDEMPOTENCY_KEY_CHARS,
  MAX_METADATA_BYTES,
  MAX_TAG_CHARS,
  MAX_TAGS,
} from '../services/memories/memory-input.js';
import { MAX_STORE_BATCH, storeMemories, storeMemory, type StoreMemoryInput } from '../services/memories/memory-store.js';
import { MAX_QUERY_CHARS, MAX_RECALL_HITS, recallMemories, type RecallInput } from '../services/memories/recall.js';
import { usageReport } from '../services/limits/usage-report.js';

/**
 * The memory tools an agent sees over MCP. Each is the MCP door to one GraphQL field, its twin:
 * it takes the twin's arguments, spends the twin's rate-limit cost, calls the same service and
 * answers the twin's type (see graphql-types.ts). What is written here is only what a language
 * model needs to use the tool well: when to call it, what the arguments mean, and a short text
 * rendering of the answer.
 */

export interface ToolDefinition {
  name: string;
  title: string;
  /** For a language model: when to call the tool and what it returns. */
  description: string;
  /** The GraphQL field this tool is the MCP door to. */
  twin: { operation: 'query' | 'mutation'; field: string };
  /** The twin's input-object argument whose fields are the tool's arguments (RecallInput for recall). */
  spread?: string;
  /** Where a list or scalar answer goes in the structured result; an object answer is the result itself. */
  resultKey?: string;
  /**
   * Argument descriptions for a language model, by field name (also inside lists of objects). A
   * field the contract does not have is not offered, whatever is described here.
   */
  arguments?: Record<string, string>;
  readOnly: boolean;
  destructive?: boolean;
  idempotent?: boolean;
  /** Calls the service with coerced arguments; answers the twin's value. */
  run(scope: RequestScope, args: Record<string, unknown>): Promise<unknown>;
  /** A few lines of text for clients that show the model text only. */
  render(result: Record<string, unknown>): string;
}

/** A memory as the structured results carry it (the GraphQL `Memory` type). */
interface MemoryJson {
  id: string;
  agent: string;
  content: string;
  importance: number;
  tags: string[];
}

const AGENT_RULE = `1 to 64 of A-Z a-z 0-9 - _ . (case-sensitive)`;

const MEMORY_ARGUMENTS: Record<string, string> = {
  agent: `Which agent's memory to use: a name of ${AGENT_RULE}. Memories of different agents never mix. Defaults to "${DEFAULT_AGENT}"; a new name creates the agent (plans limit how many agents exist).`,
  content: `The fact to remember, as one self-contained statement a later question could be answered from, e.g. "Dana prefers email over phone calls". 1 to ${MAX_CONTENT_CHARS.toLocaleString('en')} characters.`,
  importance: 'How much this matters, 0 to 1 (default 0.5). Raises the memory in recall and keeps it longer in the core.',
  tags: `Up to ${MAX_TAGS} labels of 1 to ${MAX_TAG_CHARS} characters, for filtering recall later (e.g. ["preference", "contact"]).`,
  metadata: `Any JSON object (at most ${MAX_METADATA_BYTES / 1024} KB) stored with the memory; recall can filter on it.`,
  embedding: "Your own embedding of the content, of this deployment's dimension. Leave it out: the server embeds the content itself.",
  occurredAt: 'When the remembered thing happened or was said (ISO 8601 date-time); defaults to now. Set it when saving facts from an older conversation.',
  expiresAt: 'When to forget the memory by itself (ISO 8601 date-time in the future). Leave it out to keep it.',
  idempotencyKey: `A key of your choosing (1 to ${MAX_IDEMPOTENCY_KEY_CHARS} characters) that makes a retried call store once: the same key answers the first result for 24 hours.`,
};

const storedLine = (memory: MemoryJson, deduped: boolean) =>
  deduped ? `Already remembered as ${memory.id} in agent "${memory.agent}" (importance now ${memory.importance}).` : `Remembered as ${memory.id} in agent "${memory.agent}".`;

const quote = (text: string) => JSON.stringify(text);
const memories = (n: number) => `${n} ${n === 1 ? 'memory' : 'memories'}`;

export const TOOLS: ToolDefinition[] = [
  {
    name: 'remember',
    title: 'Remember a fact',
    description:
      'Stores one memory: a fact, preference, decision or event worth knowing in a later conversation. Call it when the user tells you something ' +
      'about themselves, their work or their wishes that you will need again. Identical content in the same agent is stored once (deduped: true). ' +
      'Returns the stored memory with its id.',
    twin: { operation: 'mutation', field: 'storeMemory' },
    spread: 'input',
    arguments: MEMORY_ARGUMENTS,
    readOnly: false,
    idempotent: true,
    run: async (scope, args) => storeMemory(await storeDeps(scope), args as unknown as StoreMemoryInput),
    render: (result) => storedLine(result.memory as MemoryJson, result.deduped as boolean),
  },
  {
    name: 'remember_many',
    title: 'Remember several facts',
    description:
      `Stores up to ${MAX_STORE_BATCH} memories in one call, all or none (for example the facts of a conversation you are summarizing). ` +
      'Each item takes the same fields as remember. Returns one result per item, in order.',
    twin: { operation: 'mutation', field: 'storeMemories' },
    resultKey: 'results',
    arguments: { ...MEMORY_ARGUMENTS, inputs: `The memories to store, 1 to ${MAX_STORE_BATCH}.` },
    readOnly: false,
    idempotent: true,
    run: async (scope, args) => storeMemories(await storeDeps(scope), args.inputs as StoreMemoryInput[]),
    render: (result) => {
      const results = result.results as { memory: MemoryJson; deduped: boolean }[];
      const deduped = results.filter((r) => r.deduped).length;
      return [`Stored ${memories(results.length - deduped)}${deduped ? `, ${deduped} already remembered` : ''}.`, ...results.map((r) => storedLine(r.memory, r.deduped))].join('\n');
    },
  },
  {
    name: 'recall',
    title: 'Recall memories',
    description:
      'Finds the stored memories that answer a question, by meaning and by words: "How should I contact Dana?" finds "Dana prefers email over ' +
      'phone calls". Call it before answering anything that may depend on what the user told you earlier (names, preferences, plans, past ' +
      'decisions). Returns the best matches first, each with its score (relevance blended with importance, recency and how often it was ' +
      'recalled) and its relevance to the query alone; an empty list when nothing matches.',
    twin: { operation: 'mutation', field: 'recallMemories' },
    spread: 'input',
    resultKey: 'hits',
    arguments: {
      query: `The question or topic in natural language, 1 to ${MAX_QUERY_CHARS.toLocaleString('en')} characters.`,
      agent: `Only this agent's memories (${AGENT_RULE}); leave it out to search all agents.`,
      limit: `How many memories to return at most, 1 to ${MAX_RECALL_HITS}.`,
      tags: 'Only memories carrying every one of these tags.',
      metadata: "Only memories whose metadata contains this JSON object (e.g. {\"project\": \"apollo\"}).",
      minImportance: 'Only memories at least this important (0 to 1).',
      occurredAfter: 'Only memories of things that happened at or after this time (ISO 8601 date-time).',
      occurredBefore: 'Only memories of things that happened before this time (ISO 8601 date-time).',
      embedding: "Your own embedding of the query, of this deployment's dimension. Leave it out: the server embeds the query itself.",
    },
    readOnly: true,
    run: (scope, args) => recallMemories(memoryDeps(scope), args as unknown as RecallInput),
    render: (result) => {
      const hits = result.hits as { memory: MemoryJson; score: number }[];
      if (hits.length === 0) return 'No memory matches this query.';
      return [
        `${memories(hits.length)}, best first:`,
        ...hits.map((h, i) => `${i + 1}. ${quote(h.memory.content)} (score ${h.score.toFixed(2)}, id ${h.memory.id}, agent "${h.memory.agent}")`),
      ].join('\n');
    },
  },
  {
    name: 'forget',
    title: 'Forget a memory',
    description:
      'Deletes one memory for good, by its id (from recall, remember or list_memories). Call it when the user asks you to forget something or a ' +
      'memory turned out wrong (then remember the correct fact). Answers NOT_FOUND when no memory of yours has that id.',
    twin: { operation: 'mutation', field: 'forgetMemory' },
    resultKey: 'forgotten',
    arguments: { id: 'The id of the memory to delete.' },
    readOnly: false,
    destructive: true,
    run: async (scope, args) => forgetMemory(scope.em, requirePrincipal(scope).userId, args.id as string),
    render: () => 'Forgotten.',
  },
  {
    name: 'list_memories',
    title: 'List memories',
    description:
      'Lists stored memories newest first, a page at a time, to browse or review them (use recall to answer a question instead). Returns the ' +
      'page (edges[].node), pageInfo.endCursor to pass as `after` for the next page while pageInfo.hasNextPage is true, and totalCount.',
    twin: { operation: 'query', field: 'memories' },
    arguments: {
      agent: `Only this agent's memories (${AGENT_RULE}); leave it out to list all agents.`,
      first: `Page size, 1 to ${MAX_PAGE_SIZE}.`,
      after: 'The cursor to continue from: pageInfo.endCursor of the previous page. Leave it out for the first page.',
    },
    readOnly: true,
    run: async (scope, args) => {
      const userId = requirePrincipal(scope).userId;
      const page = await listMemories(scope.em, userId, args as { agent: string | null; first: number; after: string | null });
      return { ...page, totalCount: await countMemories(scope.em, page.scope) };
    },
    render: (result) => {
      const edges = result.edges as { node: MemoryJson }[];
      const pageInfo = result.pageInfo as { hasNextPage: boolean; endCursor: string | null };
      return [
        `${edges.length} of ${memories(result.totalCount as number)}, newest first:`,
        ...edges.map(({ node }) => `- ${quote(node.content)} (id ${node.id}, agent "${node.agent}")`),
        ...(pageInfo.hasNextPage ? [`More: call again with after = ${quote(pageInfo.endCursor ?? '')}.`] : []),
      ].join('\n');
    },
  },
  {
    name: 'list_agents',
    title: 'List agents',
    description:
      'Lists your agents (separate memory spaces, oldest first) with how many memories each holds. "default" always exists. Call it to choose ' +
      'the `agent` for remember or recall.',
    twin: { operation: 'query', field: 'agents' },
    resultKey: 'agents',
    readOnly: true,
    run: async (scope) => {
      const userId = requirePrincipal(scope).userId;
      const agents = await listAgents(scope.em, userId);
      const counts = await countMemoriesByAgent(scope.em, userId, agents.map((agent) => agent.id));
      return agents.map((agent, i) => ({ id: agent.id, name: agent.name, createdAt: agent.createdAt, memoryCount: counts[i] }));
    },
    render: (result) => (result.agents as { name: string; memoryCount: number }[]).map((a) => `- ${a.name}: ${memories(a.memoryCount)}`).join('\n'),
  },
  {
    name: 'usage',
    title: 'Plan and usage',
    description:
      "Reports the account's plan (tier), its limits, how many memories and agents exist, the requests left in this minute's window and this " +
      'month\'s totals. Call it when a call was refused for a limit, or to check room before storing many memories.',
    twin: { operation: 'query', field: 'usage' },
    readOnly: true,
    run: async (scope) => usageReport(scope.em, scope.rt.usage, requirePrincipal(scope).userId, await scope.entitlement(), scope.rateLimit),
    render: (result) => {
      const limits = result.limits as Record<string, number | null>;
      const of = (used: unknown, limit: number | null | undefined) => `${used as number}${limit === null || limit === undefined ? '' : `/${limit}`}`;
      return [
        `Plan ${result.tier as string}.`,
        `Memories ${of(result.memories, limits.maxMemories)}, agents ${of(result.agents, limits.maxAgents)}.`,
        `Requests this minute ${of(result.requestsThisMinute, limits.requestsPerMinute)}; the window resets at ${result.rateLimitResetAt as string}.`,
      ].join('\n');
    },
  },
];
