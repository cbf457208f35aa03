// Malleated spellings of a signed access token, for the tests of every service that checks one.

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Spellings of `token` (`<payload>.<signature>`, base64url) that Node's lenient base64url decoder
 * reads as the same signature: it ignores characters outside the alphabet, padding and the last
 * character's spare bits. A service must refuse every one of them.
 */
export function malleatedSpellings(token: string): string[] {
  const [payload, signature] = token.split('.') as [string, string];
  // 43 characters carry 258 bits for 256: the last one's two low bits are spare.
  const spareBits = BASE64URL[BASE64URL.indexOf(signature.at(-1)!) ^ 1]!;
  return [
    `${token}!`,
    `${token}=`,
    `${token}==`,
    `${payload}.${signature.slice(0, -1)}${spareBits}`,
    `${payload}.${signature.slice(0, 10)}*${signature.slice(10)}`,
    `${payload}.${signature.slice(0, 20)} ${signature.slice(20)}`,
    `${payload}.${Buffer.from(signature, 'base64url').toString('base64')}`,
  ];
}
