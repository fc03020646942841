import type { AccessModule } from '../auth/access-module.js';
import type { CasesModule } from '../cases/cases-module.js';
import type { NoticesModule } from '../notices/notices-module.js';
import { OperationAccess } from './operation-access.js';
import { OperationBoard } from './operation-board.js';
import { OperationService } from './operation-service.js';

/** Joint operations: every service of operations/, built once by the composition root. */
export interface OperationsModule {
  readonly operations: OperationService;
  readonly board: OperationBoard;
}

export function createOperationsModule(options: { access: AccessModule; cases: CasesModule; notices: NoticesModule }): OperationsModule {
  const { policy, audit } = options.access;
  const access = new OperationAccess(policy, audit);
  return {
    operations: new OperationService(policy, access, options.cases, options.notices.notices, options.cases.notifications),
    board: new OperationBoard(policy, access, options.cases.notifications),
  };
}
