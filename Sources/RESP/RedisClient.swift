/// The Redis wire client (RESP2/3 subset) on SwiftNIO: pipelining, reconnects, pub/sub.
public enum RESP {}
