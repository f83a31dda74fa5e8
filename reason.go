package minsheng

// Reason is why a row (or a cell) was rejected or flagged at ingest. The code is stable: ingest
// reports count by it, and the fixtures generator predicts counts by it.
type Reason struct {
	Code string `json:"code"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
}

// Row rejections.
var (
	ReasonRequired        = Reason{"required_missing", "必填项为空", "a required value is empty"}
	ReasonIDInvalid       = Reason{"id_invalid", "身份证号无效", "the ID number is not valid"}
	ReasonCertInvalid     = Reason{"cert_invalid", "残疾证号无效(应为身份证号加类别、等级两位数字)", "the disability certificate number is not valid (ID number plus two digits: category and grade)"}
	ReasonCertMismatch    = Reason{"cert_mismatch", "残疾证号与身份证号不一致", "the disability certificate number does not match the ID number"}
	ReasonTownshipUnknown = Reason{"township_unknown", "乡镇不在本县乡镇名单中", "the township is not one of the county's townships"}
	ReasonVillageUnknown  = Reason{"village_unknown", "村(社区)不属于该乡镇", "the village or community is not in that township"}
	ReasonEnumInvalid     = Reason{"enum_invalid", "取值不在允许的选项中", "the value is not one of the allowed options"} // ingest names the options
	ReasonExcelError      = Reason{"excel_error", "单元格是 Excel 公式错误(如 #VALUE!、#REF!、#N/A),请在 Excel 中改正公式或填入数值后重新上传", "the cell is an Excel formula error (such as #VALUE!, #REF!, #N/A); fix the formula or type the value, and upload again"}
	ReasonDateInvalid     = Reason{"date_invalid", "日期无法识别或不存在:请写成 2024-03-05、2024/3/5、2024.3.5、2024年3月5日 或 20240305(年在前;不接受 3/5/2024 这种月、日在前的写法)", "the date is not a real date or not in an accepted form: write 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日 or 20240305 (year first; 3/5/2024, month or day first, is not accepted)"}
	ReasonMonthInvalid    = Reason{"month_invalid", "月份无法识别:请写成 2024-03、2024/3、2024年3月 或 202403", "the month is not in an accepted form: write 2024-03, 2024/3, 2024年3月 or 202403"}
	ReasonYearInvalid     = Reason{"year_invalid", "年度无效", "the year is not valid"}
	ReasonMoneyInvalid    = Reason{"money_invalid", "金额不是数字", "the amount is not a number"}
	ReasonMoneyNegative   = Reason{"money_negative", "金额为负数", "the amount is negative"}
	ReasonBirthAfterDate  = Reason{"birth_after_record", "出生日期晚于记录日期", "the person was born after the record's date"}
)

// Cell flags: the row lands, the cell is kept as text, and the flag is counted in the report.
var (
	ReasonFormulaText = Reason{"formula_text", "单元格以 =、+、- 或 @ 开头,像一个公式:已原样作为文字保存,导出到 Excel 时不会被当作公式执行", "the cell starts with =, +, - or @ like a formula: it was kept as plain text, and exports never run it as a formula"}
	ReasonStrayQuote  = Reason{"stray_quote", "该行有一个没有闭合的引号(\"),已按原样读取,其后各行照常读取;请核对该行", "a quote (\") on this line never closes; the line was read as typed and the lines after it as rows; check the line"}
	ReasonIDInText    = Reason{"id_in_text", "文本中含有身份证号,已遮盖后保存;请勿在备注等文本栏填写身份证号", "the text holds an ID number; it was masked before landing; do not type ID numbers into free-text columns"}
)

// ReasonDateFuture: a record dated after the day it was ingested cannot be true yet.
var ReasonDateFuture = Reason{"date_future", "日期晚于导入当天", "the date is after the day of ingest"}

// reasons lists every reason, for looking one up by its code.
var reasons = []Reason{
	ReasonRequired, ReasonIDInvalid, ReasonCertInvalid, ReasonCertMismatch, ReasonTownshipUnknown,
	ReasonVillageUnknown, ReasonEnumInvalid, ReasonDateInvalid, ReasonMonthInvalid, ReasonYearInvalid,
	ReasonMoneyInvalid, ReasonMoneyNegative, ReasonBirthAfterDate, ReasonFormulaText, ReasonDateFuture,
	ReasonStrayQuote, ReasonIDInText, ReasonExcelError,
}

// ReasonByCode returns the reason with the given code (as ingest reports count them).
func ReasonByCode(code string) (Reason, bool) {
	for _, r := range reasons {
		if r.Code == code {
			return r, true
		}
	}
	return Reason{}, false
}
