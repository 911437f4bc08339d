/** A request that is not an OTLP message (JSON or protobuf): answered 400 with the reason. */
export class OtlpError extends Error {
  override name = 'OtlpError'
}

/** A request body that is not a valid OTLP protobuf message (answered 400, like malformed OTLP JSON). */
export class OtlpProtobufError extends OtlpError {
  override name = 'OtlpProtobufError'
}
