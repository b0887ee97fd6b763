CREATE TABLE `validation_counts` (
	`hour` integer NOT NULL,
	`outcome` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`hour`, `outcome`)
);
--> statement-breakpoint
ALTER TABLE `users` ADD `imported_at` integer;