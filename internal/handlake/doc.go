// Package handlake is the hand lake, shared by the tests of the warehouse and of the API: a few
// rows per source, written as CSV the way a lead unit would, ingested for real, with every answer
// worked out by hand below. Persons are named by letter; their ID numbers are valid and made up.
// The answers are exported as data (IndicatorCases, CheckViolations, EnrollmentCases, ...) so
// every test that reads the hand lake asserts the same list. Only tests import this package: it
// writes files and fails a testing.TB.
//
// worker_aid (09): file 1 has A 生活救助 1000 on 03-05 twice (an exact repeat), A 子女助学 500 on
// 03-05, B 医疗救助 800 (自付 1000) on 06-30, C 生活救助 on 2023-12-31 (last year); file 2 sends
// A's 生活救助 of 03-05 again, B 医疗救助 1200 (自付 1000) on 07-01, C 生活救助 on 10-31.
//
//	09 at 03-04: 0; at 03-05: 2 (A 生活, A 子女); at 06-30: 3 (+ B); at 10-31: 5 (+ B 07-01, C).
//	09_medical_cap: 1 (B's 1200 > 1000 on 07-01).
//	09 month by month (cumulative, each month at its last day): Jan 0, Feb 0, Mar 2, Apr 2,
//	May 2, Jun 3, Jul 4, Aug 4, Sep 4, Oct 5. By township at 10-31: 松兹街道 4 (A 2, B 2), 孚玉镇
//	1 (C), the county's 5.
//	After the newest record (10-31), say at 12-31, 09 keeps 5 at the time progress of 12-31 (1):
//	5 of 34 is far below the plan line: 严重滞后.
//
// child_rehab and assistive_device (10): Q rehab 02-01 and a device 03-01; R rehab 04-01 and
// 05-01 (two payments, one child).
//
//	10a at 03-31: 1 (Q); at 10-31: 2. 10b: 1. 10 = 10a + 10b + 10c = 3. overlap_10a_10b: 1 (Q).
//
// legal_aid (16): file 1 has L1 (A) accepted 02-01, open; L2 (B) accepted 03-01, closed 05-10
// with 1000.00. File 2 lists L1 closed 08-20 with 1201.01, and L2 again as before.
//
//	16a at 02-15: 1; at 06-30: 2; at 10-31: 2 (L1 listed twice is one case).
//	16b at 04-30: nothing closed (无数据); at 06-30: 1000.00; at 10-31: (1201.01 + 1000.00) / 2 =
//	1100.505, half up to the fen 1100.51, at or above 1100: 达标.
//
// orphan_support (20): K 分散养育 1300 each month 2024-01..10, January sent twice; M 集中养育 1710
// in January and 1700 in March.
//
//	20 at 02-29: 3 child-months (K Jan, Feb; M Jan), all at standard: 1. At 10-31: K 10 + M 2 =
//	12 child-months, M's March below 1710: 11/12.
//	20_missing_month: M lacks Feb and Apr..Oct: 8.
//
// low_income_roster (19): snapshot 01-15 lists P1 特困人员, P2 低保对象 (松兹街道), P3 低保对象, P4
// 脱贫人口 (孚玉镇); snapshot 07-01 lists P1, P2, P7 低保对象 (松兹街道), P3, P5 低保边缘家庭成员, P6
// 防止返贫监测对象 (孚玉镇); P4 is gone. insurance_enrollment for 2024: P1 已参保 定额资助; P2 已参保
// 全额资助; P3 未参保 死亡; P5 未参保 其他, then 已参保; P6 未参保 服刑; P4 has a row for 2023 only; P7
// has none.
//
//	19a at 01-10: no roster yet: 无数据. At 06-30 (first snapshot): enrolled P1, P2; P3 exempt; P4
//	not enrolled: 2 / (4 - 1) = 2/3. At 10-31 (second): enrolled P1, P2, P5; P3 and P6 exempt; P7
//	not: 3 / (6 - 2) = 0.75. By township at 10-31: 松兹街道 2/3 (flagged, P7 listed), 孚玉镇 1/1.
//	By township at 06-30: 松兹街道 P1, P2 enrolled: 2/2 (meets); 孚玉镇 P3 exempt, P4 not
//	enrolled: 0/1 (flagged).
//	19a_tekun_full_subsidy: 1 (P1).
//
// medical_assistance (19b), each claim's ratio from the roster in force at the as-of date:
// P2 低保对象 03-01 100.02 -> 75.02 (0.75 × 100.02 = 75.015, half up: right); P5 低保边缘 03-01
// 1000 -> 600 (right); P3 低保对象 04-01 100.02 -> 75.01 (cut, not rounded: wrong); P4 claims
// 低保对象 05-01 200 -> 150: while the first snapshot lists P4 as 脱贫人口, which has no ratio, it
// is wrong; once P4 is off the roster the claim's own 低保对象 applies and it is right; P1 claims
// 低保对象 08-01 1000 -> 750, but the roster says 特困人员 (90%): wrong.
//
//	19b at 06-30: P2, P5 right of 4: 0.5. At 10-31: P2, P5, P4 right of 5: 0.6.
//	19b_category_mismatch at 10-31: 1 (P1; P4 is not on the roster then).
//
// elder_care_facility (13b): F1 施工 03-01 and 运营 09-01 with 600000; F2 竣工验收 05-01 with 400000.
//
//	13b at 06-30: 0; at 09-01: 1 (F1).
//
// mutual_aid_society (18) has no rows: every village of the demo county lacks a society, so
// 18_village_without_society counts all 213.
//
// The newest record is C's of 10-31: the daily marts run to 2024-10-31.
//
// The files: worker_aid 2, child_rehab 1, assistive_device 1, legal_aid 2, orphan_support 1,
// low_income_roster 2, insurance_enrollment 1, medical_assistance 1, elder_care_facility 1: 12
// files, each landing whole.
package handlake
