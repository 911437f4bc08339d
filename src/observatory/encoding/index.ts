/**
 * JSON (and YAML) for the whole observatory: one value model, one parser, one encoder.
 *
 *   values.ts         JsonValue: objects are Maps, numbers keep their text (JsonNumber)
 *   parse.ts          parseJson: Python's json.loads, lossless; options for strict RFC 8259, kept duplicate keys,
 *                     plain error messages
 *   syntax-error.ts   JsonSyntaxError, worded as Python's JSONDecodeError or in plain words with line and column
 *   bytes.ts          parseJsonBytes: json.loads(bytes), encoding detection (UTF-8/16/32) and decoding
 *   python-number.ts  numbers as Python prints them
 *   encode.ts         encodeJson / encodeJsonPretty: json.dumps, ensure_ascii or as written
 *   yaml.ts           encodeYaml: PyYAML's output for --pretty-yaml
 *
 * Who uses what: the event path (`server/event.ts`, `server/app.ts`) parses request bodies with parseJsonBytes
 * and writes each event with encodeJson; stdout's pretty formats re-read that line (`server/serve.ts`); `install`
 * reads and writes settings files with parseJson and encodeJsonPretty (`install/settings-file.ts`).
 */
export {
  decodeJsonBytes,
  detectJsonEncoding,
  type JsonEncoding,
  parseJsonBytes,
  parseJsonBytesCanonical,
} from './bytes.ts'
export {
  detectIndent,
  type EncodeJsonOptions,
  encodeJson,
  encodeJsonPretty,
  jsonEquals,
  quoteJsonString,
} from './encode.ts'
export {
  type CanonicalParse,
  DEFAULT_MAX_DEPTH,
  type ParseJsonOptions,
  parseCanonicalJson,
  parseJson,
} from './parse.ts'
export { type NumberStyle, pythonFloatRepr, pythonNumberText } from './python-number.ts'
export { type JsonErrorMessages, JsonSyntaxError } from './syntax-error.ts'
export {
  cloneJson,
  duplicateKeys,
  EncodedObject,
  type JsonArray,
  JsonNumber,
  JsonObject,
  type JsonValue,
  objectEntries,
} from './values.ts'
export { encodeYaml, type YamlOptions } from './yaml.ts'
