import RESP
import Testing

@Suite struct RESPPlaceholderTests {}
