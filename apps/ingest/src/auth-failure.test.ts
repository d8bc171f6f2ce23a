import { isAuthFailureMessage } from './auth-failure';

describe('isAuthFailureMessage', () => {
  it.each([
    'authentication failed',
    'Authentication Failed.',
    'not authorized',
    'not authorized to access T.*',
    'Not authorized: upgrade your plan',
  ])('treats %j as Polygon refusing the key or the plan', message => {
    expect(isAuthFailureMessage(message)).toBe(true);
  });

  it.each([
    'Upstream re-authentication in progress',
    'entitlement service slow, retrying',
    'not authenticated',
    'authentication failed for upstream feed 3, retrying',
    'the feed is not authorized yet? no',
    'invalid message',
    '',
  ])('keeps the connection on %j', message => {
    expect(isAuthFailureMessage(message)).toBe(false);
  });
});
