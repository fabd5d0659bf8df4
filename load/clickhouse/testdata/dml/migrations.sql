SELECT name, version FROM `an`.`etl_schema_migrations`;

SELECT name, version FROM `an`.`etl_schema_migrations` WHERE name LIKE 'view:%';

INSERT INTO `an`.`etl_schema_migrations` (name, version, applied_at) SELECT '10_userflow.sql', '0123456789abcdef', toDateTime(1793577600, 'UTC');
