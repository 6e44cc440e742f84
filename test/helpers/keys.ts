/**
 * Key pairs for tests. ssh2's generateKeyPairSync('ed25519') strips the leading zero bytes of the public key, so about
 * one pair in 256 (a public key starting with 0x00) cannot be read back by its own parseKey ("Malformed OpenSSH
 * private key"; mscdex/ssh2 issues 1390 and 1513, open in 1.17.0). A test that drew such a pair failed at random:
 * this draws again until both halves parse.
 */
import ssh2 from 'ssh2'

type Options = Parameters<typeof ssh2.utils.generateKeyPairSync>[1]

export function ed25519Pair(opts?: Options): { private: string; public: string } {
  for (;;) {
    const pair = opts ? ssh2.utils.generateKeyPairSync('ed25519', opts) : ssh2.utils.generateKeyPairSync('ed25519')
    const passphrase = (opts as { passphrase?: string } | undefined)?.passphrase
    if (!(ssh2.utils.parseKey(pair.public) instanceof Error) && !(ssh2.utils.parseKey(pair.private, passphrase) instanceof Error)) return pair
  }
}
