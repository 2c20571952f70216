"""The pages of the ratings app: the rating page and the agreement dashboards."""
