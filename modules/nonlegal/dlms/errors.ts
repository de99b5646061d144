// The DLMS decoders' failure kinds are the ones every part shares.
export { DecodeError, NeedMoreData, EncodeError } from '../../generic/shared/errors.js';
