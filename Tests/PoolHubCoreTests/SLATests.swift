import Foundation
import PoolHubCore
import PoolHubTestSupport
import Testing

@Suite struct SLAMeasurementTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func hours(_ h: Double) -> Date { start.addingTimeInterval(h * 3_600) }

    @Test func uptimeCountsOverlappingSpellsOnceAndClipsToTheWindow() throws {
        let spells = OnlineSpells([
            DateInterval(start: hours(-5), end: hours(2)),  // starts before the window
            DateInterval(start: hours(1), end: hours(3)),  // overlaps the first
            DateInterval(start: hours(10), end: hours(30)),  // runs past the window
        ])
        let uptime = try #require(spells.uptimePct(over: DateInterval(start: hours(0), end: hours(24))))
        #expect(abs(uptime - 100 * 17 / 24) < 1e-9)
        #expect(OnlineSpells().uptimePct(over: DateInterval(start: hours(0), end: hours(1))) == 0)
        #expect(spells.uptimePct(over: DateInterval(start: hours(0), end: hours(0))) == nil)
    }

    @Test func observedUptimeStartsAtTheFirstHeartbeatAndWaitsForTheMinimumObservation() throws {
        let window = DateInterval(start: hours(0), end: hours(24))
        // Registered at hour 20, first online at 20.5, offline from 23 on.
        let late = OnlineSpells([DateInterval(start: hours(20.5), end: hours(23))])
        let uptime = try #require(late.observedUptimePct(over: window, registeredAt: hours(20), seenBefore: true, minObservation: 60))
        #expect(abs(uptime - 100 * 2.5 / 3.5) < 1e-9)
        // Watched for 3.5 hours: not yet judged with a 4-hour minimum.
        #expect(late.observedUptimePct(over: window, registeredAt: hours(20), seenBefore: true, minObservation: 4 * 3_600) == nil)
        // Online as the window opened: judged over the whole window.
        let early = OnlineSpells([DateInterval(start: hours(-2), end: hours(12))])
        #expect(early.observedUptimePct(over: window, registeredAt: hours(-5), seenBefore: true, minObservation: 60) == 50)
        // Seen before the window and silent since: 0 %; never seen: not judged.
        #expect(OnlineSpells().observedUptimePct(over: window, registeredAt: hours(-5), seenBefore: true, minObservation: 60) == 0)
        #expect(OnlineSpells().observedUptimePct(over: window, registeredAt: hours(-5), seenBefore: false, minObservation: 60) == nil)
    }

    @Test func responseTimesGiveMeanAndInterpolatedP95() throws {
        let summary = try #require(ResponseTimeSummary(stride(from: 100.0, through: 2_500, by: 100).shuffled()))
        #expect(summary.meanMs == 1_300)
        // Rank 0.95 × 24 = 22.8: between the 23rd (2,300) and 24th (2,400) values.
        #expect(abs(summary.p95Ms - 2_380) < 1e-9)
        #expect(ResponseTimeSummary([]) == nil)
        #expect(ResponseTimeSummary([42])?.p95Ms == 42)
    }

    @Test func completionRateLeavesRejectedJobsOut() {
        var window = JobWindow()
        for _ in 0..<9 { window.add(.completed, responseTimeMs: 10) }
        window.add(.failed, responseTimeMs: nil)
        window.add(.timeout, responseTimeMs: nil)
        window.add(.rejected, responseTimeMs: nil)
        #expect(window.completionRatePct == 100.0 * 9 / 11)
        #expect(JobWindow().completionRatePct == nil)
    }

    @Test func severityDependsOnHowFarPastTheThreshold() {
        let policy = SLAPolicy()
        #expect(policy.severity(of: .uptime, value: 95) == nil)
        #expect(policy.severity(of: .uptime, value: 91.7) == .high)
        #expect(policy.severity(of: .uptime, value: 90) == .critical)
        #expect(policy.severity(of: .completionRate, value: 85) == .high)
        #expect(policy.severity(of: .completionRate, value: 79) == .critical)
        #expect(policy.severity(of: .capacityAvailability, value: 61) == .high)
        #expect(policy.severity(of: .responseTime, value: 1_000) == nil)
        #expect(policy.severity(of: .responseTime, value: 1_300) == .high)
        #expect(policy.severity(of: .responseTime, value: 2_000) == .critical)
    }
}

@Suite struct CapacityForecastTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 86_400))

    @Test func aTrendingDailyCycleCrossesTheThresholdWhenItReallyDoes() throws {
        let forecast = CapacityForecaster(alertThresholdPct: 80).forecast(syntheticWeek(from: start), hours: 168)
        #expect(forecast.method == .holtWinters)
        #expect(forecast.points.count == 168)
        let crossing = try #require(forecast.thresholdCrossingAt)
        let truth = start.addingTimeInterval(syntheticCrossing(after: 168, threshold: 80) * 3_600)
        #expect(abs(crossing.timeIntervalSince(truth)) < 6 * 3_600, "forecast \(crossing), true \(truth)")
        // The band holds the truth a day ahead and widens with the horizon.
        let dayAhead = forecast.points[23]
        let actual = syntheticUtilization(atHour: dayAhead.timestamp.timeIntervalSince(start) / 3_600)
        #expect(dayAhead.lower <= actual && actual <= dayAhead.upper)
        #expect(forecast.points[100].upper - forecast.points[100].lower > dayAhead.upper - dayAhead.lower)
        let peak = try #require(forecast.peakUtilizationPct)
        #expect(peak > 90 && peak <= 100)

        let advice = ScalingAdvice.advise(
            model: ScalingAdvice.fleet, forecast: forecast, current: syntheticWeek(from: start).last, alertThresholdPct: 80,
            now: start.addingTimeInterval(168 * 3_600))
        #expect(advice.action == .scaleUp)
        #expect(advice.miners > 0)
        #expect(advice.priority == .medium)
    }

    @Test func aFlatQuietFleetHoldsOrScalesDown() {
        let quiet = stride(from: 0.0, to: 96, by: 1).map { h in
            CapacitySnapshot(
                takenAt: start.addingTimeInterval(h * 3_600), model: "llama3.2", totalMiners: 10, onlineMiners: 10, totalSlots: 40,
                usedSlots: 4 + Int(h) % 3)
        }
        let forecast = CapacityForecaster(alertThresholdPct: 80).forecast(quiet, hours: 48)
        #expect(forecast.thresholdCrossingAt == nil)
        let advice = ScalingAdvice.advise(
            model: "llama3.2", forecast: forecast, current: quiet.last, alertThresholdPct: 80, now: start.addingTimeInterval(96 * 3_600))
        #expect(advice.action == .scaleDown)
        #expect((1...9).contains(advice.miners))
    }

    @Test func tooLittleHistorySaysSoInsteadOfForecasting() {
        let day = Array(syntheticWeek(from: start).prefix(12 * 40))
        let forecast = CapacityForecaster(alertThresholdPct: 80).forecast(day, hours: 168)
        #expect(forecast.method == .insufficientHistory)
        #expect(forecast.points.isEmpty && forecast.peakUtilizationPct == nil && forecast.thresholdCrossingAt == nil)
        #expect(forecast.historyHours == 40)
        let advice = ScalingAdvice.advise(model: "*", forecast: forecast, current: day.last, alertThresholdPct: 80, now: start)
        #expect(advice.action == .hold)
        #expect(advice.reason.contains("40 h"))
    }
}
