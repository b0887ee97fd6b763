ALTER TABLE `users` ADD `totp_algorithm` text DEFAULT 'SHA1' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `totp_digits` integer DEFAULT 6 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `totp_period` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `totp_drift` integer DEFAULT 0 NOT NULL;