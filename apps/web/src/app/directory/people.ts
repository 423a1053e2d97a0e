import type { UserView } from '@chat/contracts';
import type { Person, Presence, ShownPerson } from './directory.models';

/** Self first, then by username, then by id so that equal names keep one order. */
export function compareUsers(a: Person, b: Person): number {
  if (a.self !== b.self) return a.self ? -1 : 1;
  return (
    a.username.localeCompare(b.username) ||
    (a.userID < b.userID ? -1 : a.userID > b.userID ? 1 : 0)
  );
}

/**
 * Everyone held as the screen shows them, self first, then by name, with the name to show
 * (`names`, by userID) and their presence as far as we can tell.
 */
export function showPeople(
  people: readonly Person[],
  names: ReadonlyMap<string, string>,
  connected: boolean,
): ShownPerson[] {
  // Our own presence is our link's, whatever the server said last; the others' is unknown
  // while it is down.
  return people
    .map((person) => {
      const shown = person.self ? { ...person, connected } : person;
      const presence: Presence =
        !connected && !person.self
          ? 'unknown'
          : shown.connected
            ? 'online'
            : 'offline';
      return {
        ...shown,
        displayName: names.get(person.userID) ?? person.username,
        presence,
      };
    })
    .sort(compareUsers);
}

export interface MergePeopleOptions {
  selfID: string | undefined;
  /** Our own presence is our socket's, whatever the server's answer says. */
  selfConnected: boolean;
  /** The views join the list (a directory page, a look-up), not only the search results. */
  listed: boolean;
}

/**
 * Users the server answered with join those held: names and presence update, a stand-in gets its
 * name, and a listed user stays listed. New users come after those held.
 */
export function mergePeople(
  people: readonly Person[],
  views: readonly UserView[],
  { selfID, selfConnected, listed }: MergePeopleOptions,
): Person[] {
  const merged = new Map(people.map((person) => [person.userID, person]));
  for (const view of views) {
    const self = view.userID === selfID;
    const held = merged.get(view.userID);
    const connected = self ? selfConnected : view.connected;
    merged.set(view.userID, {
      ...held,
      userID: view.userID,
      username: view.username,
      self,
      connected,
      placeholder: false,
      listed: listed || !!held?.listed,
      lastSeen: lastSeenOf(view, connected, held?.lastSeen),
    });
  }
  return [...merged.values()];
}

/** A user as the server describes them (`users`, `user connected`), listed. */
export function personOf(
  view: UserView,
  selfID: string | undefined,
  connected = view.connected,
): Person {
  return {
    userID: view.userID,
    username: view.username,
    self: view.userID === selfID,
    connected,
    placeholder: false,
    listed: true,
    lastSeen: lastSeenOf(view, connected),
  };
}

/** The server's `lastSeen` for someone offline (or the one held); none while connected. */
function lastSeenOf(
  view: UserView,
  connected: boolean,
  held?: string,
): string | undefined {
  if (connected) return undefined;
  return view.lastSeen ?? held;
}

/** Someone not described by the server yet: under a name we had, or a stand-in. */
export function standIn(userID: string, username?: string): Person {
  return {
    userID,
    username: username ?? '',
    self: false,
    connected: false,
    placeholder: username === undefined,
    listed: true,
  };
}

/** `people` with `userID` changed; `people` itself when they are not held or nothing changed. */
export function changePerson(
  people: readonly Person[],
  userID: string,
  change: (person: Person) => Person,
): readonly Person[] {
  const index = people.findIndex((person) => person.userID === userID);
  if (index < 0) return people;
  const changed = change(people[index]);
  if (changed === people[index]) return people;
  return people.map((person, i) => (i === index ? changed : person));
}
