package whatfix

import (
	"github.com/adoptionlabs/etl/engine"
	"github.com/adoptionlabs/etl/extract"
	"github.com/adoptionlabs/etl/schemas"
)

// streams declares every stream of an opened configuration in run order:
// one per configured report (reports: in pipelines.yaml), then the fixed
// ones.
func (s *source) streams(specs []reportSpec) []*engine.Stream {
	var out []*engine.Stream
	for _, spec := range specs {
		out = append(out, s.reportStream(spec))
	}
	return append(out, s.fixedStreams()...)
}

// fixedStreams declares the streams that are not reports: this list is the
// one place such a stream is added. Declaring makes no request and needs no
// client, so their names and tables can be listed before any is opened.
func (s *source) fixedStreams() []*engine.Stream {
	return []*engine.Stream{s.flowAnalyticsStream(), s.endUserEngagementStream(), s.selfHelpStream(), s.taskCompletionStream(),
		s.contentStream(), s.endUsersStream(), s.segmentsStream(), s.auditLogsStream()}
}

func fixedStreamNames() []string {
	return extract.StreamNames((&source{cfg: NewConfig()}).fixedStreams())
}

func fixedTables() []*schemas.Table {
	var out []*schemas.Table
	for _, st := range (&source{cfg: NewConfig()}).fixedStreams() {
		out = append(out, st.Tables...)
	}
	return out
}
