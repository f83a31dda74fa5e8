package ingest

import (
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/minsheng/minsheng"
)

// The lake's columns for each registry column type. PII types never land in clear:
//   name            -> <field>_masked
//   id_number       -> <field>_id (keyed pseudonym, UUID), <field>_id_masked, <field>_age, <field>_sex
//   disability_cert -> <field>_masked, <field>_category, <field>_grade
// Every row also carries the file it came from and its row number there, so a record is found
// again in the archived original without copying a name.

// lakeColumn is one leaf of a source's Parquet schema.
type lakeColumn struct {
	name string
	node parquet.Node
}

// lakeCodec is zstd at its fastest level: encoding is most of ingest's work, and the fastest
// level costs a few percent of size against the default.
var lakeCodec = &zstd.Codec{Level: zstd.SpeedFastest}

func optional(n parquet.Node) parquet.Node {
	return parquet.Optional(parquet.Compressed(n, lakeCodec))
}

func dictString() parquet.Node { return parquet.Encoded(parquet.String(), &parquet.RLEDictionary) }

// lakeColumns lists the Parquet columns of a source, in registry order.
func lakeColumns(src *minsheng.Source) []lakeColumn {
	cols := []lakeColumn{
		{"_file_sha256", parquet.Compressed(dictString(), lakeCodec)},
		{"_row", parquet.Compressed(parquet.Int(32), lakeCodec)},
	}
	for _, c := range src.Columns {
		switch c.Type {
		case minsheng.TypeName:
			cols = append(cols, lakeColumn{c.Field + "_masked", optional(parquet.String())})
		case minsheng.TypeIDNumber:
			cols = append(cols,
				lakeColumn{c.Field + "_id", optional(parquet.UUID())},
				lakeColumn{c.Field + "_id_masked", optional(parquet.String())},
				lakeColumn{c.Field + "_age", optional(parquet.Int(16))},
				lakeColumn{c.Field + "_sex", optional(dictString())})
		case minsheng.TypeDisabilityCert:
			cols = append(cols,
				lakeColumn{c.Field + "_masked", optional(parquet.String())},
				lakeColumn{c.Field + "_category", optional(parquet.Int(8))},
				lakeColumn{c.Field + "_grade", optional(parquet.Int(8))})
		case minsheng.TypeDate, minsheng.TypeMonth:
			cols = append(cols, lakeColumn{c.Field, optional(parquet.Date())})
		case minsheng.TypeMoney:
			cols = append(cols, lakeColumn{c.Field, optional(parquet.Decimal(2, 18, parquet.Int64Type))})
		case minsheng.TypeYear:
			cols = append(cols, lakeColumn{c.Field, optional(parquet.Int(16))})
		case minsheng.TypeText:
			cols = append(cols, lakeColumn{c.Field, optional(parquet.String())})
		default: // township, village, enum: few distinct values
			cols = append(cols, lakeColumn{c.Field, optional(dictString())})
		}
	}
	return cols
}

// lakeSchema builds the Parquet schema, and the index of each lake column among the schema's
// leaves (parquet-go orders a group's fields by name).
func lakeSchema(src *minsheng.Source) (*parquet.Schema, map[string]int) {
	g := parquet.Group{}
	cols := lakeColumns(src)
	for _, c := range cols {
		g[c.name] = c.node
	}
	s := parquet.NewSchema(src.Code, g)
	idx := map[string]int{}
	for i, path := range s.Columns() {
		idx[path[0]] = i
	}
	return s, idx
}

// quarantineSchema: one row per rejected cell (a row with two problems has two), with the value
// masked, so the lead unit can find it in its own file by row number.
// row_values: a JSON object, by registry header, of the rejected row's cells that name no one
// (township, village, options, dates, months, amounts, years; scrubbed as values are), so that
// the unit finds the row and fixes it. Names, ID numbers, certificates and free text are left out.
var quarantineFields = []string{"file_sha256", "file_name", "source", "row", "column", "reason_code", "reason_zh", "reason_en", "value_masked", "row_values"}

func quarantineSchema() (*parquet.Schema, map[string]int) {
	g := parquet.Group{}
	for _, f := range quarantineFields {
		switch f {
		case "row":
			g[f] = parquet.Compressed(parquet.Int(32), lakeCodec)
		case "value_masked", "row_values":
			g[f] = parquet.Compressed(parquet.String(), lakeCodec)
		default: // the same few texts on every row of a file
			g[f] = parquet.Compressed(dictString(), lakeCodec)
		}
	}
	s := parquet.NewSchema("quarantine", g)
	idx := map[string]int{}
	for i, path := range s.Columns() {
		idx[path[0]] = i
	}
	return s, idx
}

// boundsSkipped lists the columns whose pages keep no minimum and maximum: strings and
// pseudonyms, where bounds cost time and serve no query; dates and amounts keep theirs.
func boundsSkipped(s *parquet.Schema) []parquet.WriterOption {
	var opts []parquet.WriterOption
	for _, path := range s.Columns() {
		leaf, ok := s.Lookup(path...)
		if !ok {
			continue
		}
		switch leaf.Node.Type().Kind() {
		case parquet.ByteArray, parquet.FixedLenByteArray:
			opts = append(opts, parquet.SkipPageBounds(path...))
		}
	}
	return opts
}
