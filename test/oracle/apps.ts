/**
 * The flow oracle's app-like servers (issue 16): independent of wsherd's backends and identity helpers, written with
 * plain `ws`, `socket.io` and `ioredis`, each counting what it does as plain numbers a test sets beside wsherd's.
 *
 * - ws-app.ts: the reference realtime app's JSON protocol (auth/welcome, request/response, subscribe/publish fan-out,
 *   pushes), several instances sharing topics through Redis pub/sub;
 * - chat-app.ts: a socket.io chat (join/leave, chat relayed to the room's other members, request with ack), rooms
 *   across instances through the app's own Redis relay;
 * - app-bus.ts: the real redis-server the test starts, and the bus.
 */
export { startWsApp, sumWsCounts, type WsApp, type WsAppCounts, type WsAppOptions } from './ws-app.js';
export { startChatApp, sumChatCounts, type ChatApp, type ChatAppCounts, type ChatAppOptions } from './chat-app.js';
export { REDIS_SKIP, startRedis, type RedisServer } from './app-bus.js';
