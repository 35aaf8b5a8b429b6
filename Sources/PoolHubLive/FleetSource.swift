// Where hot state reloads the fleet from (durable storage).

package import PoolHubCore

/// Where the fleet comes from when an instance must read it again: durable storage.
package protocol FleetSource: Sendable {
    /// Every miner, as on start-up.
    func fleet() async throws -> [FleetMember]
    /// One miner as storage has it now; nil when unknown.
    func member(_ address: MinerAddress) async throws -> FleetMember?
}
