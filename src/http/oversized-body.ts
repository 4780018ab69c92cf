import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

/** How much of a refused upload is read and thrown away so the client gets to read its 413. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;
const DRAIN_LIMIT_MS = 5_000;

/**
 * A body over the limit is refused with 413 before it is read. Closing the socket at once makes the
 * kernel reset the connection while the client is still uploading, and most clients then report a
 * broken pipe instead of the 413. So, like nginx's lingering close, the rest of the upload is read
 * and discarded (bounded in bytes and time) while the client reads its answer.
 */
async function lingerOnOversizedBody(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode !== 413 || request.raw.complete) return;
    // Fastify marks the reply `Connection: close`, which makes Node destroy the socket as soon as the
    // 413 is written. Without it the drained connection stays usable; one that uploads too much or
    // too long is destroyed below.
    reply.removeHeader('connection');
    const raw = request.raw;
    let drained = 0;
    const timer = setTimeout(() => raw.socket.destroy(), DRAIN_LIMIT_MS);
    timer.unref();
    raw.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_LIMIT_BYTES) raw.socket.destroy();
    });
    raw.on('end', () => clearTimeout(timer));
    raw.resume();
  });
}

export const oversizedBody = fastifyPlugin(lingerOnOversizedBody, { name: 'oversized-body' });
