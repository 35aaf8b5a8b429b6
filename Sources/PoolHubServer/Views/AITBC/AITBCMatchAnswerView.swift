// AITBC match answer.

/// The answer of `POST /v1/match`.
struct AITBCMatchAnswerView: Encodable {
    var jobID: String
    var candidates: [AITBCCandidateView]
}
