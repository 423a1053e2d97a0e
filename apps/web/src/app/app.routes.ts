import type { Route, UrlMatcher, UrlSegment } from '@angular/router';

/**
 * `/` (no conversation open) and `/chat/:userID` match one route, so moving between them keeps
 * the chat page (its list, its scroll position, the search) and only changes its `userID` input.
 */
export const chatPageMatcher: UrlMatcher = (segments: UrlSegment[]) => {
  if (segments.length === 0) return { consumed: [] };
  if (segments.length === 2 && segments[0].path === 'chat')
    return { consumed: segments, posParams: { userID: segments[1] } };
  return null;
};

/** The link to a conversation. */
export const conversationLink = (userID: string) => ['/chat', userID];

export const routes: Route[] = [
  {
    matcher: chatPageMatcher,
    // Lazy: the username form, the first screen of a new user, does not wait for it.
    loadComponent: () =>
      import('./chat-page/chat-page').then((m) => m.ChatPage),
  },
  { path: '**', redirectTo: '' },
];
