package sql

//go:generate go run ../cmd/etl --config ../pipelines.yaml ddl --out .
//go:generate go run ../cmd/etl --config ../pipelines.yaml views --out .
