package whatfixfake

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"time"
)

// kind says how a report column's values are made up.
type kind int

const (
	kDate       kind = iota // the row's day
	kFlowID                 // the row's flow
	kFlowName               //
	kEntity                 // the row's entity (popup, smart tip, search term, …)
	kEntityID               //
	kEntityType             //
	kUserName               // a random end user
	kUserEmail              //
	kCount                  // 0..500
	kSmall                  // 0..20
	kTotal                  // a row's base count (views, started, shown)
	kDone                   // part of kTotal (completions, completed, clicked)
	kRest                   // kTotal - kDone
	kRatio                  // kDone / kTotal in percent, one decimal
	kRate                   // an unrelated percentage
	kSeconds                // seconds with one decimal, empty when kDone is 0
	kTime                   // a time on the row's day
	kComment                // free text with commas, quotes and newlines
	kFeedback               // Yes or No
	kSegment                // a segment name
	kIndex                  // 1-based position of the row
	kLiteral                // a fixed text (columns added by tests)
)

type column struct {
	header string
	// key is the JSON key; "" means the header (most reports mirror the CSV
	// header; mostPopularFlows follows the OpenAPI schema's camelCase).
	key     string
	kind    kind
	literal string
}

func (c column) jsonKey() string {
	if c.key != "" {
		return c.key
	}
	return c.header
}

// rowsMode says what one row of a report stands for.
type rowsMode int

const (
	oneRow     rowsMode = iota // one row per day (and flow)
	perFlowRow                 // one row per flow of the account
	perEntity                  // one row per entity of the report's list
	withUsers                  // 0..maxRows rows, each for some end user
)

type reportDef struct {
	name     string
	perFlow  bool
	mode     rowsMode
	maxRows  int
	entities func(d *dataset) []entity
	columns  []column
}

type entity struct{ id, name, typ string }

func names(list ...string) func(*dataset) []entity {
	return func(*dataset) []entity {
		out := make([]entity, len(list))
		for i, n := range list {
			out[i] = entity{id: "e-" + strconv.Itoa(i+1), name: n}
		}
		return out
	}
}

func contentEntities(types ...string) func(*dataset) []entity {
	return func(d *dataset) []entity {
		var out []entity
		for _, t := range types {
			for _, c := range d.contentOf(t) {
				out = append(out, entity{id: c.ContentID, name: c.Name, typ: c.Type})
			}
		}
		return out
	}
}

var (
	widgets     = names("Self Help", "Task List", "Beacon", "Guided Popup")
	searchTerms = names("pricing, annual", `reset "password"`, "vat", "sso setup", "export pdf", "time off", "expense limit", "holiday calendar")
	userActions = names("Clicked Save", "Opened Reports", "Exported CSV", "Changed Filter, then Saved")
	steps       = names("Open settings", `Click "Security"`, "Enter the IdP URL, then save", "Done")
	comments    = []string{
		"Very helpful",
		"Helpful, but too long",
		`The "Next" button hid the field`,
		"Step 3 was confusing.\nI had to restart twice.",
		"",
		"Loved it 👍",
		"Please add a video, thanks",
	}
)

func col(header string, k kind) column { return column{header: header, kind: k} }

var catalog = []reportDef{
	{name: "summary/engagement", mode: oneRow, columns: []column{col("Date", kDate), col("Active Users", kTotal), col("New Users", kSmall), col("Flows Played", kCount), col("Flows Completed", kDone), col("Self Help Opens", kCount), col("Smart Tips Shown", kCount), col("Engagement Rate (%)", kRate)}},
	{name: "summary/mostPopularFlows", mode: perFlowRow, columns: []column{
		{header: "Flow ID", key: "flowId", kind: kFlowID}, {header: "Flow Name", key: "flowName", kind: kFlowName},
		{header: "Views", key: "views", kind: kTotal}, {header: "Completions", key: "completions", kind: kDone},
		{header: "Completion Rate", key: "completionRate", kind: kRatio}, {header: "Avg Time To Complete", key: "avgTimeToComplete", kind: kSeconds}}},
	{name: "summary/usage", mode: oneRow, columns: []column{col("Date", kDate), col("Self Help Queries", kCount), col("Popups Shown", kCount), col("Task List Tasks Started", kSmall), col("Flows Played", kCount), col("Smart Tips Shown", kCount), col("Beacons Shown", kCount)}},

	{name: "selfHelp/contentEffectiveness", mode: perEntity, entities: contentEntities("Article", "Video", "Flow"), columns: []column{col("Content ID", kEntityID), col("Content Name", kEntity), col("Content Type", kEntityType), col("Views", kCount), col("Unique Users", kSmall)}},
	{name: "selfHelp/queriesByDay", mode: oneRow, columns: []column{col("Date", kDate), col("Queries Served", kCount), col("Peak Hour Queries", kSmall)}},
	{name: "selfHelp/searchSummary", mode: oneRow, columns: []column{col("Total Searches", kTotal), col("Successful Searches", kDone), col("Unsuccessful Searches", kRest), col("Success Rate (%)", kRatio)}},
	{name: "selfHelp/successfulSearchTerms", mode: perEntity, entities: searchTerms, columns: []column{col("Search Term", kEntity), col("Search Count", kTotal), col("Clicks", kDone)}},
	{name: "selfHelp/unsuccessfulSearchTerms", mode: perEntity, entities: searchTerms, columns: []column{col("Search Term", kEntity), col("Search Count", kSmall)}},
	{name: "selfHelp/successfulSearchTermsWithUsers", mode: withUsers, maxRows: 10, entities: searchTerms, columns: []column{col("Search Term", kEntity), col("User Name", kUserName), col("User Email", kUserEmail), col("Searched At", kTime), col("Clicked Content", kFlowName)}},
	{name: "selfHelp/unsuccessfulSearchTermsWithUsers", mode: withUsers, maxRows: 6, entities: searchTerms, columns: []column{col("Search Term", kEntity), col("User Name", kUserName), col("User Email", kUserEmail), col("Searched At", kTime)}},

	{name: "taskList/completionByUser", mode: withUsers, maxRows: 12, entities: contentEntities("TaskList"), columns: []column{col("Task List Name", kEntity), col("Segment", kSegment), col("User Name", kUserName), col("User Email", kUserEmail), col("Tasks Completed", kDone), col("Total Tasks", kTotal), col("Completion Rate (%)", kRatio), col("Last Activity", kTime)}},

	{name: "popup/guidedPopupEffectiveness", mode: perEntity, entities: contentEntities("Popup"), columns: []column{col("Popup Name", kEntity), col("Times Shown", kTotal), col("Flow Played", kDone), col("Dismissed", kRest), col("Play Rate (%)", kRatio)}},
	{name: "popup/popupEffectiveness", mode: perEntity, entities: contentEntities("Popup"), columns: []column{col("Popup Name", kEntity), col("Times Shown", kTotal), col("Clicks", kDone), col("Click Rate (%)", kRatio)}},
	{name: "popup/popupEffectivenessWithUsers", mode: withUsers, maxRows: 10, entities: contentEntities("Popup"), columns: []column{col("Popup Name", kEntity), col("User Name", kUserName), col("User Email", kUserEmail), col("Times Shown", kTotal), col("Clicks", kDone)}},
	{name: "popup/smartPopupEffectiveness", mode: perEntity, entities: contentEntities("Popup"), columns: []column{col("Popup Name", kEntity), col("Times Shown", kCount), col("Unique Users", kSmall)}},

	{name: "flowSummary/completionWithUsers", mode: withUsers, maxRows: 12, columns: []column{col("Flow ID", kFlowID), col("Flow Name", kFlowName), col("User Name", kUserName), col("User Email", kUserEmail), col("Started At", kTime), col("Completed At", kTime), col("Time Taken (s)", kSeconds)}},
	{name: "flowSummary/completionRate", mode: perFlowRow, columns: []column{col("Flow ID", kFlowID), col("Flow Name", kFlowName), col("Started", kTotal), col("Completed", kDone), col("Not Completed", kRest), col("Completion Rate (%)", kRatio)}},
	{name: "flowSummary/failureWithUsers", mode: withUsers, maxRows: 6, entities: steps, columns: []column{col("Flow ID", kFlowID), col("Flow Name", kFlowName), col("User Name", kUserName), col("User Email", kUserEmail), col("Failed Step", kEntity), col("Failed At", kTime)}},
	{name: "flowSummary/feedback", mode: perFlowRow, columns: []column{col("Flow ID", kFlowID), col("Flow Name", kFlowName), col("Useful", kDone), col("Not Useful", kRest), col("Useful (%)", kRatio)}},
	{name: "flowSummary/feedbackCommentsYes", mode: withUsers, maxRows: 5, columns: []column{col("Flow Name", kFlowName), col("User Email", kUserEmail), col("Comment", kComment), col("Submitted At", kTime)}},
	{name: "flow/feedbackCommentsNo", mode: withUsers, maxRows: 4, columns: []column{col("Flow Name", kFlowName), col("User Email", kUserEmail), col("Comment", kComment), col("Submitted At", kTime)}},
	{name: "flowSummary/closeMissed", mode: perEntity, entities: steps, columns: []column{col("Flow ID", kFlowID), col("Flow Name", kFlowName), col("Step", kEntity), col("Times Closed", kSmall)}},
	{name: "flowSummary/playedByWidgets", mode: perEntity, entities: widgets, columns: []column{col("Widget", kEntity), col("Flows Played", kCount)}},
	{name: "flowSummary/usageByDay", mode: perFlowRow, columns: []column{col("Date", kDate), col("Flow Name", kFlowName), col("Times Played", kCount)}},

	{name: "smartTip/mostPopular", mode: perEntity, entities: contentEntities("SmartTip"), columns: []column{col("Smart Tip Name", kEntity), col("Times Played", kCount), col("Unique Users", kSmall)}},
	{name: "smartTip/playedByDay", mode: oneRow, columns: []column{col("Date", kDate), col("Times Played", kCount)}},
	{name: "smartTip/withUsers", mode: withUsers, maxRows: 10, entities: contentEntities("SmartTip"), columns: []column{col("Smart Tip Name", kEntity), col("User Name", kUserName), col("User Email", kUserEmail), col("Times Played", kSmall)}},

	{name: "beacon/effectiveness", mode: perEntity, entities: contentEntities("Beacon"), columns: []column{col("Beacon Name", kEntity), col("Users Shown", kTotal), col("Users Clicked", kDone), col("Click Rate (%)", kRatio)}},
	{name: "beacon/effectivenessWithUsers", mode: withUsers, maxRows: 8, entities: contentEntities("Beacon"), columns: []column{col("Beacon Name", kEntity), col("User Name", kUserName), col("User Email", kUserEmail), col("Shown", kTotal), col("Clicked", kDone)}},

	{name: "userAction/details", mode: perEntity, entities: userActions, columns: []column{col("User Action", kEntity), col("Occurrences", kCount), col("Unique Users", kSmall), col("Last Occurred At", kTime)}},

	{name: "flow/completionRate", perFlow: true, mode: oneRow, columns: []column{col("Started", kTotal), col("Completed", kDone), col("Not Completed", kRest), col("Completion Rate (%)", kRatio)}},
	{name: "flow/feedback", perFlow: true, mode: oneRow, columns: []column{col("Useful", kDone), col("Not Useful", kRest)}},
	{name: "flow/feedbackComments", perFlow: true, mode: withUsers, maxRows: 4, columns: []column{col("User Email", kUserEmail), col("Feedback", kFeedback), col("Comment", kComment), col("Submitted At", kTime)}},
	{name: "flow/history", perFlow: true, mode: withUsers, maxRows: 2, columns: []column{col("Version", kIndex), col("Edited By", kUserEmail), col("Edited At", kTime), col("Change", kComment)}},
	{name: "flow/exitedSteps", perFlow: true, mode: perEntity, entities: steps, columns: []column{col("Step Number", kIndex), col("Step Title", kEntity), col("Exits", kSmall), col("Failures", kSmall)}},
	{name: "flow/playedByWidgets", perFlow: true, mode: perEntity, entities: widgets, columns: []column{col("Widget", kEntity), col("Times Played", kCount)}},
	{name: "flow/usageByDay", perFlow: true, mode: oneRow, columns: []column{col("Date", kDate), col("Times Played", kCount)}},
}

func lookupReport(name string) (reportDef, bool) {
	for _, r := range catalog {
		if r.name == name {
			return r, true
		}
	}
	return reportDef{}, false
}

// cell is one value of a report row, rendered the same in CSV and JSON.
type cell struct {
	text   string
	number bool
	null   bool
}

type reportRow struct {
	domain string
	cells  []cell
}

// reportRows makes up the rows of one report for one day (and flow).
func (f *Fake) reportRows(def reportDef, cols []column, day time.Time, flow *Content) []reportRow {
	flowKey := ""
	if flow != nil {
		flowKey = flow.ContentID
	}
	r := rng(f.opts.Seed, "report", def.name, day.Format(time.DateOnly), flowKey)
	flows := f.data.flows()
	var ents []entity
	if def.entities != nil {
		ents = def.entities(f.data)
	}
	type rowCtx struct {
		flow   Content
		entity entity
	}
	var ctxs []rowCtx
	pickFlow := func() Content {
		if flow != nil {
			return *flow
		}
		return flows[r.Intn(len(flows))]
	}
	pickEntity := func() entity {
		if len(ents) == 0 {
			return entity{}
		}
		return ents[r.Intn(len(ents))]
	}
	switch def.mode {
	case oneRow:
		ctxs = []rowCtx{{flow: pickFlow()}}
	case perFlowRow:
		for _, fl := range flows {
			ctxs = append(ctxs, rowCtx{flow: fl, entity: pickEntity()})
		}
	case perEntity:
		for _, e := range ents {
			ctxs = append(ctxs, rowCtx{flow: pickFlow(), entity: e})
		}
	case withUsers:
		n := r.Intn(def.maxRows + 1)
		for i := 0; i < n; i++ {
			ctxs = append(ctxs, rowCtx{flow: pickFlow(), entity: pickEntity()})
		}
	}
	rows := make([]reportRow, 0, len(ctxs))
	for i, c := range ctxs {
		rows = append(rows, reportRow{
			domain: domains[r.Intn(len(domains))],
			cells:  f.cells(r, cols, day, i, c.flow, c.entity),
		})
	}
	return rows
}

func (f *Fake) cells(r *rand.Rand, cols []column, day time.Time, index int, flow Content, e entity) []cell {
	total := 1 + r.Intn(200)
	done := r.Intn(total + 1)
	user := f.data.users[r.Intn(len(f.data.users))]
	out := make([]cell, len(cols))
	num := func(n int) cell { return cell{text: strconv.Itoa(n), number: true} }
	dec := func(x float64) cell {
		return cell{text: strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64), number: true}
	}
	for i, c := range cols {
		switch c.kind {
		case kDate:
			out[i] = cell{text: day.Format(time.DateOnly)}
		case kFlowID:
			out[i] = cell{text: flow.ContentID}
		case kFlowName:
			out[i] = cell{text: flow.Name}
		case kEntity:
			out[i] = cell{text: e.name}
		case kEntityID:
			out[i] = cell{text: e.id}
		case kEntityType:
			out[i] = cell{text: e.typ}
		case kUserName:
			out[i] = cell{text: user.Name}
		case kUserEmail:
			out[i] = cell{text: user.Email}
		case kCount:
			out[i] = num(r.Intn(501))
		case kSmall:
			out[i] = num(r.Intn(21))
		case kTotal:
			out[i] = num(total)
		case kDone:
			out[i] = num(done)
		case kRest:
			out[i] = num(total - done)
		case kRatio:
			out[i] = dec(float64(done) / float64(total) * 100)
		case kRate:
			out[i] = dec(r.Float64() * 100)
		case kSeconds:
			if done == 0 {
				out[i] = cell{null: true}
			} else {
				out[i] = dec(5 + r.Float64()*600)
			}
		case kTime:
			out[i] = cell{text: day.Add(time.Duration(r.Intn(86400)) * time.Second).Format(time.DateTime)}
		case kComment:
			if t := comments[r.Intn(len(comments))]; t == "" {
				out[i] = cell{null: true}
			} else {
				out[i] = cell{text: t}
			}
		case kFeedback:
			out[i] = cell{text: []string{"Yes", "No"}[r.Intn(2)]}
		case kSegment:
			out[i] = cell{text: f.data.segments[r.Intn(len(f.data.segments))].Name}
		case kIndex:
			out[i] = num(index + 1)
		case kLiteral:
			out[i] = cell{text: c.literal}
		}
	}
	return out
}

// csvStyle chooses how a CSV download is laid out.
type csvStyle struct {
	bom  bool
	crlf bool
}

func writeCSV(b *bytes.Buffer, style csvStyle, cols []column, rows []reportRow, malformed bool) {
	eol := "\n"
	if style.crlf {
		eol = "\r\n"
	}
	if style.bom {
		b.WriteString("\xef\xbb\xbf")
	}
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		writeCSVField(b, c.header)
	}
	b.WriteString(eol)
	for ri, row := range rows {
		for i, c := range row.cells {
			if i > 0 {
				b.WriteByte(',')
			}
			if !c.null {
				writeCSVField(b, c.text)
			}
		}
		b.WriteString(eol)
		if malformed && ri == 0 {
			// One field too many, as a vendor bug or a stray comma would make.
			for i := range cols {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString("broken")
			}
			b.WriteString(",extra field" + eol)
		}
	}
}

func writeCSVField(b *bytes.Buffer, s string) {
	if s == "" || !strings.ContainsAny(s, ",\"\r\n") && strings.TrimSpace(s) == s {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(s, `"`, `""`))
	b.WriteByte('"')
}

func writeReportJSON(b *bytes.Buffer, cols []column, rows []reportRow, start, end time.Time) {
	b.WriteString(`{"data":[`)
	for ri, row := range rows {
		if ri > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for i, c := range row.cells {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, cols[i].jsonKey())
			b.WriteByte(':')
			switch {
			case c.null:
				b.WriteString("null")
			case c.number:
				b.WriteString(c.text)
			default:
				writeJSONString(b, c.text)
			}
		}
		b.WriteByte('}')
	}
	b.WriteString(`],"startDate":`)
	writeJSONString(b, start.Format(time.DateOnly))
	b.WriteString(`,"endDate":`)
	writeJSONString(b, end.Format(time.DateOnly))
	b.WriteString("}")
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	b.Write(enc)
}
