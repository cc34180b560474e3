"""One module a lesson: the checks that grade its exercises."""
