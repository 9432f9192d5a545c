"""Every human-readable CLI line in Korean and English, and how the language is chosen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

__all__ = ["Lang", "check_name", "detect_lang", "text"]

Lang = Literal["ko", "en"]

_MESSAGES: dict[str, tuple[str, str]] = {
    # (ko, en)
    "error": ("오류", "error"),
    "unexpected": (
        "예상하지 못한 오류입니다. 이 메시지와 함께 알려 주세요 (DOJANG_DEBUG=1 이면 자세히 보입니다)",
        "unexpected error; please report this (set DOJANG_DEBUG=1 for the traceback)",
    ),
    "valid": ("유효한 증명서입니다", "valid"),
    "invalid": ("유효하지 않습니다 — 실패한 검사: {check}", "NOT valid — failed check: {check}"),
    "kind": ("종류", "kind"),
    "disclosed": ("공개된 항목", "disclosed claims"),
    "none_disclosed": ("(공개된 항목 없음)", "(no claims disclosed)"),
    "issuer": ("발급자", "issuer"),
    "issued_at": ("발급 시각", "issued at"),
    "expires_at": ("만료 시각", "expires at"),
    "yes": ("예", "yes"),
    "no": ("아니오", "no"),
    "wrote": ("저장했습니다: {path}", "wrote {path}"),
    "key_created": ("새 {purpose} 키를 만들었습니다: {kid}", "created {purpose} key {kid}"),
    "key_rotated": (
        "{purpose} 키를 교체했습니다: {old} (폐기) → {new} (사용 중)",
        "rotated {purpose} key: {old} (retired) → {new} (active)",
    ),
    "no_keys": ("키가 없습니다", "no keys"),
    "active": ("사용 중", "active"),
    "retired": ("폐기 {when}", "retired {when}"),
    "inactive": ("대기", "standby"),
    "trust_written": ("신뢰 목록을 갱신했습니다: {path}", "trust list updated: {path}"),
    "issued": (
        "{title} 발급 완료 (시민 {citizen}, 키 {kid}, 만료 {exp})",
        "issued {title} (citizen {citizen}, key {kid}, expires {exp})",
    ),
    "policy_always": ("항상 공개", "always shown"),
    "policy_selective": ("선택 공개", "holder chooses"),
    "policy_never": ("발급하지 않음", "never issued"),
    "validity_days": ("유효 기간 {days}일", "valid for {days} days"),
    "issuance_immediate": ("즉시 발급", "issued at once"),
    "issuance_deferred": ("담당자 확인 후 발급", "issued after the back office approves"),
    # log
    "log_empty": ("로그가 비어 있어 체크포인트를 만들지 않았습니다", "the log is empty: no checkpoint"),
    "log_checkpoint": ("체크포인트: 크기 {size}, 루트 {root}", "checkpoint: size {size}, root {root}"),
    "log_anchor_queued": (
        "블록체인 앵커링: 제출 {submitted}건, 확정 {confirmed}건 (나머지는 대기열에서 계속됩니다)",
        "anchoring: {submitted} submitted, {confirmed} confirmed (the rest continues from the outbox)",
    ),
    "audit_label": ("로그 재검증", "replaying the log"),
    "audit_index": (" (첫 문제 위치: 항목 {index})", " (first bad index {index})"),
    "audit_failed": (
        "감사 실패 — 검사 {check}{where}: {message}",
        "audit FAILED — check {check}{where}: {message}",
    ),
    "audit_ok": (
        "감사 통과: 항목 {size}개, 체크포인트 {checkpoints}개, 블록체인에 앵커된 것 {anchored}개",
        "audit passed: {size} entries, {checkpoints} checkpoints, {anchored} anchored on chain",
    ),
    "anchor_none": ("아직 앵커된 체크포인트가 없습니다", "no checkpoint anchored yet"),
    "anchor_latest": (
        "최근 앵커: 크기 {size}, 블록 {block}, 트랜잭션 {tx}, 확인 {confirmations}",
        "latest anchor: size {size}, block {block}, tx {tx}, confirmations {confirmations}",
    ),
    "anchor_pending": (
        "대기 중: 앵커 {anchor}건, 확정 {confirm}건 (최근 체크포인트 {checkpoint}, 로그 크기 {head})",
        "pending: {anchor} anchor, {confirm} confirm (latest checkpoint {checkpoint}, log size {head})",
    ),
    # demo
    "demo_title": (
        "도장 시연: 전자증명서의 발급, 보관, 제출, 검증",
        "dojang demo: issue, hold, share, verify",
    ),
    "demo_step_keys": (
        "1. 발급기관({iss})이 서명 키를 준비하고 신뢰 목록을 공개합니다",
        "1. The issuing agency ({iss}) prepares its signing key and publishes the trust list",
    ),
    "demo_step_holder": (
        "2. 시민 {name}({citizen})의 지갑이 자기 키를 만듭니다",
        "2. The wallet of citizen {name} ({citizen}) creates its own key",
    ),
    "demo_step_issue": (
        "3. 기관이 등록 자료로 증명서를 발급해 지갑에 넣습니다",
        "3. The agency issues certificates from its registry data into the wallet",
    ),
    "demo_step_present": (
        "4. 시민이 필요한 항목만 골라 제출합니다",
        "4. The citizen shares only the fields each recipient needs",
    ),
    "demo_present_line": (
        "   {recipient} 에게 {title}: {claims}",
        "   to {recipient}, from the {title}: {claims}",
    ),
    "demo_step_verify": (
        "5. 받는 쪽이 한 번에 검증합니다 (모두 통과해야 합니다)",
        "5. Each recipient verifies in one step (all must pass)",
    ),
    "demo_step_reject": (
        "6. 위조·변조 사례는 반드시 거부되어야 합니다",
        "6. Forgeries and misuse must be rejected",
    ),
    "demo_expect": ("   기대한 실패: {check}", "   expected failure: {check}"),
    "demo_ok": ("   → 기대대로 거부됨", "   → rejected as expected"),
    "demo_bad": ("   → 기대와 다름!", "   → NOT as expected!"),
    "demo_step_log": (
        "3½. 발급 기록이 투명성 로그에 들어가고, 서명된 체크포인트가 블록체인에 앵커됩니다",
        "3½. Each issuance is in the transparency log; a signed checkpoint is anchored on the chain",
    ),
    "demo_step_log_again": (
        "7. 이후 발급분까지 담은 새 체크포인트를 앵커합니다 (이전 증명은 일관성 증명으로 계속 유효)",
        "7. A new checkpoint covering later issuances is anchored (older proofs stay valid by consistency)",
    ),
    "demo_checkpoint": (
        "   체크포인트: 크기 {size}, 루트 {root}…",
        "   checkpoint: size {size}, root {root}…",
    ),
    "demo_anchor_line": (
        "   블록 {block}, 트랜잭션 {tx} (확인 {confirmations}회)",
        "   block {block}, transaction {tx} ({confirmations} confirmations)",
    ),
    "demo_log": (
        "투명성 로그: 최근 체크포인트, 증명 파일, 타일 {tiles}개 → {path}",
        "transparency log: latest checkpoint, proofs and {tiles} tiles → {path}",
    ),
    "demo_done": ("시연 성공: 산출물 {path}", "demo succeeded; artefacts in {path}"),
    # operator: root CA, agencies, accreditation, trust list
    "operator_created": (
        "운영기관 루트 인증서를 만들었습니다: {subject} (지문 {fingerprint})",
        "created the operator's root CA: {subject} (fingerprint {fingerprint})",
    ),
    "operator_exists": (
        "운영기관 루트 인증서가 이미 있습니다: {subject} (지문 {fingerprint})",
        "the operator's root CA already exists: {subject} (fingerprint {fingerprint})",
    ),
    "agency_added": (
        "발급기관 {name}({id})을 등록하고 문서서명 인증서를 발급했습니다 (지문 {fingerprint}, {until}까지)",
        "registered agency {name} ({id}) and issued its document-signer certificate"
        " (fingerprint {fingerprint}, until {until})",
    ),
    "accredited": (
        "{id} 기관을 {vct} 발급기관으로 인정했습니다 ({start} → {end})",
        "accredited {id} for {vct} ({start} → {end})",
    ),
    "withdrawn": (
        "{id} 기관의 {vct} 발급 인정을 {at}부터 철회했습니다",
        "withdrew the accreditation of {id} for {vct} from {at}",
    ),
    "cert_revoked": (
        "인증서 {fingerprint} 폐지 ({at}부터)",
        "certificate {fingerprint} revoked (from {at})",
    ),
    "trust_list_written": (
        "서명된 신뢰 목록을 공개했습니다: {path}",
        "published the signed trust list: {path}",
    ),
    "institution_added": (
        "수신기관 {name}({id})을 등록했습니다 (투명성 로그에 기록됨)",
        "registered receiving institution {name} ({id}); logged",
    ),
    "institution_removed": (
        "수신기관 {id}의 등록을 해제했습니다 (투명성 로그에 기록됨)",
        "removed receiving institution {id}; logged",
    ),
    "institutions_none": ("등록된 수신기관이 없습니다", "no receiving institutions registered"),
    "demo_step_operator": (
        "1½. 운영기관(행정안전부)이 루트 인증서를 만들고 발급기관을 등록·인정합니다",
        "1½. The platform operator creates its root CA, registers and accredits the agencies",
    ),
    "demo_operator_agency": (
        "   {name} ({id}) 발급 인정: {kinds}",
        "   {name} ({id}) accredited for: {kinds}",
    ),
    # status
    "status_changed": (
        "{action}: {list}[{idx}] {before} → {after} (사유: {reason}, 로그 순번 {seq})",
        "{action}: {list}[{idx}] {before} → {after} (reason: {reason}, log seq {seq})",
    ),
    "status_repeated": (
        "{action}: {list}[{idx}] 이미 {before} → {after} 변경됨, 다시 기록하지 않음"
        " (사유: {reason}, 로그 순번 {seq})",
        "{action}: {list}[{idx}] already changed {before} → {after}, not logged again"
        " (reason: {reason}, log seq {seq})",
    ),
    "status_show": ("{list}[{idx}] ({uri}): 상태 {status}{when}", "{list}[{idx}] ({uri}): {status}{when}"),
    "status_at": (" — {time} 기준", " — as of {time}"),
    "status_0": ("유효", "valid"),
    "status_1": ("폐지됨", "revoked"),
    "status_2": ("효력 정지", "suspended"),
    "status_revoke": ("폐지", "revoked"),
    "status_suspend": ("효력 정지", "suspended"),
    "status_reinstate": ("효력 회복", "reinstated"),
    "demo_step_status": (
        "6½. 기관이 등본 한 부를 더 발급한 뒤 폐지합니다 (사유: {reason}); 상태 목록 → {path}",
        "6½. The agency issues one more 등본 copy and revokes it (reason: {reason}); status lists → {path}",
    ),
    "demo_failed": ("시연 실패: {count}건이 기대와 다릅니다", "demo FAILED: {count} item(s) not as expected"),
    "demo_try": (
        "직접 검증해 보세요: dojang verify {file} --trust {trust} --audience {aud} --nonce {nonce}",
        "try it yourself: dojang verify {file} --trust {trust} --audience {aud} --nonce {nonce}",
    ),
}

#: Verdict check names as a person reads them.
_CHECKS: dict[str, tuple[str, str]] = {
    "format": ("형식", "format"),
    "trust": ("신뢰 목록", "trust list"),
    "algorithm": ("서명 알고리즘", "algorithm"),
    "header": ("헤더", "header"),
    "issuer-key": ("발급자 키", "issuer key"),
    "signature": ("서명", "signature"),
    "disclosures": ("공개 항목 무결성", "disclosures"),
    "claims": ("기본 항목", "claims"),
    "validity-period": ("유효 기간", "validity period"),
    "key-binding": ("소지자 확인", "holder binding"),
    "audience": ("받는 쪽", "audience"),
    "nonce": ("일회용 값(nonce)", "nonce"),
    "issuer": ("발급자", "issuer"),
    "kind": ("증명서 종류", "document kind"),
    "log-inclusion": ("투명성 로그 포함", "in the transparency log"),
    "log-anchored": ("블록체인 앵커", "anchored on chain"),
    "log-consistency": ("로그 일관성(포크 없음)", "log consistency (no fork)"),
    "log-time": ("발급 시각(소급 발급 아님)", "issue time (not back-dated)"),
    "trust-list": ("신뢰 목록 서명", "signed trust list"),
    "trust-chain": ("인증서 체인", "certificate chain"),
    "accreditation": ("발급 인정", "accreditation"),
    "status": ("효력 상태(폐지·정지 여부)", "status (not revoked or suspended)"),
}


def text(key: str, lang: Lang, **values: object) -> str:
    ko, en = _MESSAGES[key]
    return (ko if lang == "ko" else en).format(**values)


def check_name(check: str, lang: Lang) -> str:
    names = _CHECKS.get(check)
    if names is None:
        return check
    return names[0] if lang == "ko" else names[1]


def detect_lang(environ: Mapping[str, str]) -> Lang:
    """Korean when the first set of LC_ALL, LC_MESSAGES, LANG starts with ``ko``, else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"
