import { HubError } from './hub-error.ts';
import { notFound } from './request.ts';

/** `tokens/self/...` names the token that authenticates the request: a browser session has none. */
export const noTokenInHand = () =>
  new HubError(
    400,
    'tokens/self names the token that authenticates this request, and this request was not made with a token',
    'no_token_in_hand',
  );

/** `self` on another owner's path: the token in hand is not theirs (404, as for any token id not theirs). */
export const selfTokenNotOwned = (owner: string) => notFound(`No such token self for user ${owner}`);

/** 404 for a token id that is not one of the service's. */
export const noSuchServiceToken = (tokenId: string, service: string) =>
  notFound(`No such token ${tokenId} for service ${service}`);
