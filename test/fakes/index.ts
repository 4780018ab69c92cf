export * from './http.js';
export * from './stripe.js';
export * from './lemonsqueezy.js';
export * from './toss.js';
export * from './embeddings.js';
