/** The name the command is installed under. */
export const BIN = 'express-yoti-notifications';

export const MAIN_USAGE = `Usage: ${BIN} <command> [options]

Sends mock Yoti notifications to an endpoint, for trying it by hand, and shows and
re-runs an inbox's failed notifications.

Commands:
  send <url>     POST a mock IDV or signed age verification notification
  keygen <dir>   write a test RSA key pair (private.pem, public.pem)
  inbox failed   list the inbox's failed notifications
  inbox retry    re-run one failed notification (--id) or all of them
  help [command] show help for a command

Options:
  -h, --help     show this help
  -v, --version  show the version

Exit codes: 0 the server answered 2xx; 1 it answered something else;
2 the command could not run (bad option or URL, missing key, server unreachable).

Run "${BIN} <command> --help" for a command's options.
`;

export const SEND_USAGE = `Usage:
  ${BIN} send <url> --topic <topic> [--auth basic:<user:pass> | bearer:<token>] [options]
  ${BIN} send <url> --age --key <private.pem> [--state <STATE>] [options]

POSTs a mock notification to <url> as Yoti would (a JSON body, Content-Type
application/json) and prints the status, the content-type, www-authenticate and
retry-after headers, and the body of the response.

IDV notifications:
  --topic <topic>         payload topic, e.g. session_completion, check_completion,
                          or any other (sent lower-case); a fresh uuid goes in the
                          topic's id field (resource_id, task_id, check_id)
  --auth <scheme:token>   the session's auth_type and auth_token, e.g.
                          basic:username:password or bearer:<token>
  --session <id>          session_id (default: a fresh uuid)

Age verification notifications (signed with RSA-PSS, as Yoti signs them):
  --age                   send an age verification notification
  --key <file>            PEM private key to sign with (required). The server must
                          verify with the matching public key: create a pair with
                          "${BIN} keygen <dir>" and configure the server with
                          <dir>/public.pem
  --state <STATE>         COMPLETE (default), FAIL, ERROR or any other state
  --session <id>          session_key (default: a fresh uuid)
  --reference <id>        reference_id (default: test-reference)
  --canonicalization <c>  strip-whitespace (default) or compact

Both:
  --field <name=value>    set a payload field (repeatable); the value is read as
                          JSON when it parses (42, true, "x"), as text otherwise
  --header <name:value>   add a request header (repeatable)
  --timeout <ms>          give up after this many milliseconds (default 10000)
  -h, --help              show this help

Examples:
  ${BIN} send http://localhost:3000/yoti/idv --topic session_completion --auth basic:user:pass
  ${BIN} send http://localhost:3000/yoti/age --age --state FAIL --key test-keys/private.pem
`;

export const KEYGEN_USAGE = `Usage: ${BIN} keygen <dir> [--bits <n>] [--force]

Writes a test RSA key pair to <dir> (created if needed): private.pem (PKCS#8,
readable by you only) and public.pem (SPKI). Sign with the private key
("${BIN} send <url> --age --key <dir>/private.pem", or
createTestSigner({ privateKey }) in tests) and give the public key to the
server under test: ageVerificationNotifications({ publicKey }).
These are test keys: in production, notifications are signed with Yoti's key.

Options:
  --bits <n>   modulus length in bits (default 3072, at least 2048)
  --force      overwrite existing files
  -h, --help   show this help
`;

export const INBOX_USAGE = `Usage:
  ${BIN} inbox failed --redis <url> | --postgres <url> [--queue <name>] [--limit <n>]
  ${BIN} inbox retry  --redis <url> | --postgres <url> [--queue <name>] [--id <job id>]

Lists the inbox's failed notifications (one line each: job id, kind, topic or state,
attempts, when it last failed, the handler's error), or queues them again: the one with
--id, or every failed one.

Options:
  --redis <url>     the Redis of a BullMQInbox (redis://host:port)
  --postgres <url>  the Postgres of a PgBossInbox (postgres://user@host:port/db)
  --queue <name>    the queue name (default yoti-notifications)
  --id <job id>     retry: only this job (exit code 1 when it is not a failed job)
  --limit <n>       failed: at most this many (default 100)
  -h, --help        show this help
`;
