/**
 * Change capture's parts that need no database: the trigger statements
 * written for a configuration (mapped tables and columns of the blog schema),
 * the shipped SQL, and the change listener over a fake connection
 * (reconnection, wakes, the probe). The trigger itself runs against
 * PostgreSQL in the storefront's test/change-capture.test.ts.
 */
import { EventEmitter } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CAPTURE_CHANNEL,
  captureTriggers,
  changeCaptureSql,
  createChangeListener,
  type CachedEntity,
  type EntityMetadata,
  type NotificationConnection,
} from '../src/index.js';
import { buildEntityMetadata } from '../src/generator/index.js';
import { blogSchema, dmmfOf, optionsOf } from './support.js';

const load = async () => [];

describe('captureTriggers', () => {
  let meta: EntityMetadata;
  beforeAll(async () => {
    meta = buildEntityMetadata((await dmmfOf(blogSchema)).datamodel, await optionsOf(blogSchema, 'entities'));
  });

  it('installs the function on the root table and each member table, with the mapped table and column names', () => {
    const entities: Record<string, CachedEntity> = { Author: { model: 'Author', load }, Post: { model: 'Post', members: { Comment: 'postId' }, load } };
    expect(captureTriggers(entities, meta)).toEqual([
      `CREATE TRIGGER "authors_write_through_capture" BEFORE UPDATE OR DELETE ON "authors" FOR EACH ROW EXECUTE FUNCTION prisma_write_through_capture('Author', 'author_id', 'version');`,
      `CREATE TRIGGER "posts_write_through_capture" BEFORE UPDATE OR DELETE ON "posts" FOR EACH ROW EXECUTE FUNCTION prisma_write_through_capture('Post', 'post_id', 'version');`,
      `CREATE TRIGGER "comments_write_through_capture" BEFORE INSERT OR UPDATE OR DELETE ON "comments" FOR EACH ROW EXECUTE FUNCTION prisma_write_through_capture('Post', 'post_id', 'version', 'post_id', 'posts');`,
    ]);
  });

  it('refuses what the schema does not have', () => {
    expect(() => captureTriggers({ Thing: { model: 'Thing', load } }, meta)).toThrow('Thing: model Thing is not in the schema');
    expect(() => captureTriggers({ Post: { model: 'Post', members: { Comment: 'nope' }, load } }, meta)).toThrow(
      'Post: member Comment.nope is not in the schema',
    );
  });

  it('the shipped SQL creates the function the statements name, notifying the channel the listener uses', () => {
    const sql = changeCaptureSql();
    expect(sql).toMatch(/^CREATE OR REPLACE FUNCTION prisma_write_through_capture\(\) RETURNS trigger/m);
    expect(sql).toContain(`pg_notify('${CAPTURE_CHANNEL}', '')`);
  });
});

/** A connection that behaves as a `pg.Client` for the listener: scripted failures, NOTIFY on demand. */
class FakeConnection extends EventEmitter implements NotificationConnection {
  queries: string[] = [];
  ended = false;
  constructor(private readonly failConnect: boolean) {
    super();
  }
  async connect() {
    if (this.failConnect) throw new Error('connection refused');
  }
  async query(sql: string) {
    this.queries.push(sql);
  }
  async end() {
    this.ended = true;
  }
  notify(channel: string, payload = '') {
    this.emit('notification', { channel, payload });
  }
}

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createChangeListener', () => {
  it('LISTENs, wakes on each notification of its channel and once per connection, and reconnects after failures and drops', async () => {
    const connections: FakeConnection[] = [];
    const failures = [true, false, false]; // the first attempt fails, then two good connections
    let wakes = 0;
    const states: boolean[] = [];
    const listener = createChangeListener({
      connect: () => {
        const connection = new FakeConnection(failures.shift() ?? false);
        connections.push(connection);
        return connection;
      },
      onChange: () => wakes++,
      onState: (up) => states.push(up),
      reconnectMs: 5,
    });
    expect(await listener.start()).toBe(false);
    for (let i = 0; i < 100 && !listener.listening(); i++) await tick();
    expect(listener.listening()).toBe(true);
    expect(connections[1]!.queries).toEqual([`LISTEN "${CAPTURE_CHANNEL}"`]);
    expect(wakes).toBe(1); // missed while not listening: look once

    connections[1]!.notify(CAPTURE_CHANNEL);
    connections[1]!.notify('another_channel');
    expect(wakes).toBe(2);

    connections[1]!.emit('error', new Error('terminating connection due to administrator command'));
    expect(listener.listening()).toBe(false);
    for (let i = 0; i < 100 && !listener.listening(); i++) await tick();
    expect(connections).toHaveLength(3);
    expect(wakes).toBe(3);
    expect(states).toEqual([true, false, true]);

    await listener.close();
    expect(connections[2]!.ended).toBe(true);
    expect(listener.listening()).toBe(false);
  });

  it('probe: true when the NOTIFY sent from elsewhere arrives, false when it does not (a pooler in transaction mode); a probe wakes nobody', async () => {
    let connection!: FakeConnection;
    let wakes = 0;
    const listener = createChangeListener({ connect: () => (connection = new FakeConnection(false)), onChange: () => wakes++ });
    expect(await listener.start()).toBe(true);
    expect(await listener.probe(async (channel, payload) => connection.notify(channel, payload), 200)).toBe(true);
    expect(await listener.probe(async () => {}, 50)).toBe(false);
    expect(wakes).toBe(1); // the one after LISTEN
    await listener.close();
    expect(await listener.probe(async () => {}, 50)).toBe(false);
  });
});
