// Errors of the FIX codec. Each says why, because the session logs it and (for garbled input) drops the
// message without a Reject and without consuming a sequence number, as FIX 4.4 requires.

export type GarbledKind =
  | 'begin-string'      // the first field is not 8=FIX...
  | 'body-length'       // 9 missing, not a number, or not matching the bytes
  | 'msg-type'          // 35 is not the third field
  | 'checksum'          // 10 missing, malformed or wrong
  | 'field-syntax'      // a field without '=', a non-numeric tag, a missing SOH
  | 'trailing-bytes';   // bytes after the CheckSum field

export class FixError extends Error {
  override name = 'FixError';
}

/** The bytes are not a FIX message; the session must ignore them (no Reject, no MsgSeqNum increment). */
export class GarbledMessageError extends FixError {
  override name = 'GarbledMessageError';
  readonly kind: GarbledKind;
  constructor(kind: GarbledKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/**
 * A well-formed message with another BeginString than the session's. Not garbled: FIX 4.4 answers it with
 * a Logout and a disconnect, so it is its own error.
 */
export class UnexpectedBeginStringError extends FixError {
  override name = 'UnexpectedBeginStringError';
  readonly received: string;
  readonly expected: string;
  constructor(received: string, expected: string) {
    super(`BeginString(8) is ${JSON.stringify(received)}, expected ${JSON.stringify(expected)}`);
    this.received = received;
    this.expected = expected;
  }
}

/** A message cannot be encoded as given (a value with SOH, a non-Latin-1 character, a bad tag). */
export class EncodeError extends FixError {
  override name = 'EncodeError';
}

