/**
 * Preloaded (`node --import`) into a process whose code must not touch the network: every way out
 * (fetch, HTTP, TLS, TCP, UDP, DNS) throws, in every thread (worker threads run their parent's
 * preloads too), and each attempt is reported on stderr as a line starting with NETWORK ATTEMPT.
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { isMainThread, threadId } from 'node:worker_threads';

function refuse(what) {
  return function refused() {
    process.stderr.write(`NETWORK ATTEMPT: ${what} (thread ${threadId})\n`);
    throw new Error(`network access refused: ${what}`);
  };
}

globalThis.fetch = refuse('fetch');
for (const [name, mod] of [['http', http], ['https', https]]) {
  mod.request = refuse(`${name}.request`);
  mod.get = refuse(`${name}.get`);
}
net.connect = net.createConnection = refuse('net.connect');
net.Socket.prototype.connect = refuse('net.Socket.connect');
tls.connect = refuse('tls.connect');
dgram.createSocket = refuse('dgram.createSocket');
dns.lookup = refuse('dns.lookup');
dns.promises.lookup = refuse('dns.promises.lookup');
process.stderr.write(`no-network preload active (${isMainThread ? 'main thread' : `worker ${threadId}`})\n`);
