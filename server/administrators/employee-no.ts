import { Type } from 'typebox'

/**
 * An administrator's stable employee number, wherever the API takes one: it
 * is a path segment of /api/v1/administrators/{employeeNo}, so no '/', '?',
 * '#' or white space, and not '.' or '..' (clients resolve those away).
 */
export const EmployeeNo = (description = "The administrator's stable employee number") =>
  Type.String({ minLength: 1, maxLength: 100, pattern: '^(?!\\.{1,2}$)[^/?#\\s]+$', description })
